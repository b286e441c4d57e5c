ALTER TABLE "meeting_stats" ADD COLUMN "summary" jsonb;--> statement-breakpoint
ALTER TABLE "meeting_stats" ADD COLUMN "keywords" jsonb;--> statement-breakpoint
ALTER TABLE "meeting_stats" ADD COLUMN "talk_time" jsonb;--> statement-breakpoint
ALTER TABLE "meeting_stats" ADD COLUMN "summarized_at" timestamp with time zone;