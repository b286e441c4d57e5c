ALTER TYPE "public"."participant_role" ADD VALUE 'guest';--> statement-breakpoint
ALTER TYPE "public"."user_status" ADD VALUE 'guest';