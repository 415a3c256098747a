-- A consumer cursor only ever moves forward in (xid, seq) order. A batch's effect commits in the
-- transaction that moves its cursor across the batch's events, so with the cursor unable to go back
-- (or stand still while claiming progress) no event's effect can be committed twice by the
-- PostgreSQL transport, whatever the code above it does. A reset for a deliberate replay is an
-- operator's act: DELETE the cursor row (it is re-created at the start of the stream).
CREATE FUNCTION consumer_cursor_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.last_xid, NEW.last_seq) <= (OLD.last_xid, OLD.last_seq) THEN
    RAISE EXCEPTION 'consumer cursor % partition % may only move forward: (%, %) -> (%, %)',
      OLD."group", OLD.partition, OLD.last_xid, OLD.last_seq, NEW.last_xid, NEW.last_seq
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER consumer_cursors_forward_only BEFORE UPDATE OF last_xid, last_seq ON consumer_cursors
  FOR EACH ROW EXECUTE FUNCTION consumer_cursor_forward_only();
