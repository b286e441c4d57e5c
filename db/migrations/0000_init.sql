CREATE TYPE "public"."meeting_status" AS ENUM('scheduled', 'ongoing', 'ended', 'cancelled');--> statement-breakpoint
CREATE TYPE "public"."participant_role" AS ENUM('host', 'cohost', 'attendee');--> statement-breakpoint
CREATE TYPE "public"."participant_status" AS ENUM('pending', 'accepted', 'declined', 'joined', 'left');--> statement-breakpoint
CREATE TYPE "public"."user_status" AS ENUM('active', 'disabled');--> statement-breakpoint
CREATE TABLE "meeting_participants" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"meeting_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"role" "participant_role" DEFAULT 'attendee' NOT NULL,
	"status" "participant_status" DEFAULT 'pending' NOT NULL,
	"invited_at" timestamp with time zone DEFAULT now() NOT NULL,
	"joined_at" timestamp with time zone,
	"left_at" timestamp with time zone,
	CONSTRAINT "meeting_participants_meeting_user_unique" UNIQUE("meeting_id","user_id"),
	CONSTRAINT "meeting_participants_left_after_joined" CHECK ("meeting_participants"."left_at" >= "meeting_participants"."joined_at")
);
--> statement-breakpoint
CREATE TABLE "meeting_stats" (
	"meeting_id" uuid PRIMARY KEY NOT NULL,
	"participant_count" integer DEFAULT 0 NOT NULL,
	"peak_participants" integer DEFAULT 0 NOT NULL,
	"duration_seconds" integer DEFAULT 0 NOT NULL,
	"total_participant_seconds" integer DEFAULT 0 NOT NULL,
	"chat_message_count" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "meeting_stats_non_negative" CHECK ("meeting_stats"."participant_count" >= 0 and "meeting_stats"."peak_participants" >= 0 and "meeting_stats"."duration_seconds" >= 0 and "meeting_stats"."total_participant_seconds" >= 0 and "meeting_stats"."chat_message_count" >= 0)
);
--> statement-breakpoint
CREATE TABLE "meetings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"title" text NOT NULL,
	"meeting_code" text NOT NULL,
	"creator_id" uuid NOT NULL,
	"start_time" timestamp with time zone NOT NULL,
	"duration_minutes" integer NOT NULL,
	"status" "meeting_status" DEFAULT 'scheduled' NOT NULL,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"started_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "meetings_meeting_code_unique" UNIQUE("meeting_code"),
	CONSTRAINT "meetings_title_length" CHECK (char_length("meetings"."title") between 1 and 200),
	CONSTRAINT "meetings_meeting_code_format" CHECK ("meetings"."meeting_code" ~ '^[a-z]{3}-[a-z]{4}-[a-z]{3}$'),
	CONSTRAINT "meetings_duration_minutes_range" CHECK ("meetings"."duration_minutes" > 0 and "meetings"."duration_minutes" <= 1440),
	CONSTRAINT "meetings_settings_is_object" CHECK (jsonb_typeof("meetings"."settings") = 'object'),
	CONSTRAINT "meetings_ended_after_started" CHECK ("meetings"."ended_at" >= "meetings"."started_at")
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"username" text NOT NULL,
	"email" text NOT NULL,
	"password_hash" text NOT NULL,
	"full_name" text,
	"status" "user_status" DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_username_length" CHECK (char_length("users"."username") between 3 and 32),
	CONSTRAINT "users_email_format" CHECK (char_length("users"."email") <= 254 and "users"."email" ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
	CONSTRAINT "users_full_name_length" CHECK (char_length("users"."full_name") between 1 and 100),
	CONSTRAINT "users_password_hash_not_empty" CHECK (char_length("users"."password_hash") > 0)
);
--> statement-breakpoint
ALTER TABLE "meeting_participants" ADD CONSTRAINT "meeting_participants_meeting_id_fkey" FOREIGN KEY ("meeting_id") REFERENCES "public"."meetings"("id") ON DELETE cascade ON UPDATE cascade;--> statement-breakpoint
ALTER TABLE "meeting_participants" ADD CONSTRAINT "meeting_participants_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE cascade;--> statement-breakpoint
ALTER TABLE "meeting_stats" ADD CONSTRAINT "meeting_stats_meeting_id_fkey" FOREIGN KEY ("meeting_id") REFERENCES "public"."meetings"("id") ON DELETE cascade ON UPDATE cascade;--> statement-breakpoint
ALTER TABLE "meetings" ADD CONSTRAINT "meetings_creator_id_fkey" FOREIGN KEY ("creator_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE cascade;--> statement-breakpoint
CREATE UNIQUE INDEX "meeting_participants_one_host_per_meeting" ON "meeting_participants" USING btree ("meeting_id") WHERE role = 'host';--> statement-breakpoint
CREATE INDEX "meeting_participants_user_id_status_idx" ON "meeting_participants" USING btree ("user_id","status");--> statement-breakpoint
CREATE INDEX "meetings_creator_id_status_idx" ON "meetings" USING btree ("creator_id","status");--> statement-breakpoint
CREATE INDEX "meetings_start_time_idx" ON "meetings" USING btree ("start_time");--> statement-breakpoint
CREATE INDEX "meetings_settings_gin_idx" ON "meetings" USING gin ("settings");--> statement-breakpoint
CREATE UNIQUE INDEX "users_username_lower_unique" ON "users" USING btree (lower("username"));--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_lower_unique" ON "users" USING btree (lower("email"));