-- Custom SQL migration (drizzle-kit generate --custom): drizzle-kit does not model
-- triggers. Keeps updated_at right for every UPDATE, whether it comes from drizzle's
-- update() or from raw SQL. now() is the transaction's start time.
CREATE FUNCTION "public"."set_updated_at"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.updated_at := now();
	RETURN NEW;
END;
$$;--> statement-breakpoint
CREATE TRIGGER "users_set_updated_at" BEFORE UPDATE ON "users"
	FOR EACH ROW EXECUTE FUNCTION "public"."set_updated_at"();--> statement-breakpoint
CREATE TRIGGER "meetings_set_updated_at" BEFORE UPDATE ON "meetings"
	FOR EACH ROW EXECUTE FUNCTION "public"."set_updated_at"();
