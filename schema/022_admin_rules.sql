-- What the admin screens rely on: a person's unit is always one of the
-- body's units, a body has one room of a name, and a site admin (set by the
-- operator) may create bodies.

-- Units named on people before the managed list existed (or written by the
-- operator's tools) join the list, and every later one follows.
INSERT INTO body_units (body_id, name)
SELECT DISTINCT ON (body_id, lower(btrim(unit))) body_id, btrim(unit) FROM users
WHERE btrim(unit) <> '' AND room_id IS NULL
ORDER BY body_id, lower(btrim(unit)), btrim(unit)
ON CONFLICT DO NOTHING;

CREATE FUNCTION body_unit_of_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF btrim(NEW.unit) <> '' THEN
        INSERT INTO body_units (body_id, name) VALUES (NEW.body_id, btrim(NEW.unit))
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER users_unit_listed AFTER INSERT OR UPDATE OF unit, body_id ON users
FOR EACH ROW EXECUTE FUNCTION body_unit_of_user();

-- Two rooms of one name in one body cannot be told apart in a meeting's form
-- or on the projector's login: older duplicates get their id appended.
UPDATE rooms r SET name = r.name || ' (' || r.id || ')'
WHERE EXISTS (SELECT 1 FROM rooms o WHERE o.body_id = r.body_id
              AND lower(btrim(o.name)) = lower(btrim(r.name)) AND o.id < r.id);
CREATE UNIQUE INDEX rooms_name_key ON rooms (body_id, lower(btrim(name)));

-- The operator's account that creates bodies and names their first admin
-- (`phonghop create-user --site-admin`). It sees nothing of another body.
ALTER TABLE users ADD COLUMN is_site_admin boolean NOT NULL DEFAULT false;
