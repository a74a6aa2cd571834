-- resend_reservation() of 009 under the daily cap on confirmation messages
-- to one address (008, BOXOFFICE_MAIL_PER_RECIPIENT_DAY): without it one
-- booking could be resent to its address up to its own cap (4) however
-- many confirmation messages that address had already been sent that day,
-- so the five bookings a victim's address may get made 20 messages.
-- Only the confirmation link is capped so: the ticket goes to an address
-- that has confirmed it wants it.
-- o_result: queued | invalid_token | gone | changed | too_many
DROP FUNCTION resend_reservation(bytea, text, text, integer);
CREATE FUNCTION resend_reservation(p_confirm_hash bytea, p_kind text,
                                   p_mail text, p_max integer,
                                   p_mail_day integer,
                                   OUT o_result text, OUT o_reservation_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
    r reservations;
BEGIN
    SELECT * INTO r FROM reservations
     WHERE confirm_token_hash = p_confirm_hash FOR UPDATE;
    IF NOT FOUND THEN
        o_result := 'invalid_token';
        RETURN;
    END IF;
    o_reservation_id := r.id;
    IF r.status = 'cancelled' OR r.status = 'expired'
       OR (r.status = 'pending' AND r.expires_at <= now()) THEN
        o_result := 'gone';
    ELSIF (p_kind = 'confirm') <> (r.status = 'pending') THEN
        o_result := 'changed';
    ELSIF (SELECT count(*) FROM outbox
            WHERE reservation_id = r.id AND kind = p_kind) >= p_max
       OR (p_kind = 'confirm' AND
           (SELECT count(*) FROM (SELECT 1 FROM outbox
             WHERE lower(recipient) = lower(r.email) AND kind = 'confirm'
               AND created_at > now() - interval '1 day'
             LIMIT p_mail_day) m) >= p_mail_day) THEN
        o_result := 'too_many';
    ELSE
        INSERT INTO outbox (reservation_id, kind, recipient, body)
        VALUES (r.id, p_kind, r.email, p_mail);
        o_result := 'queued';
    END IF;
END
$$;
