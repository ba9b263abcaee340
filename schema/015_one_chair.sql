-- One chair per meeting, kept by the database: checking "has the meeting a
-- chair yet?" in the server and then adding one let parallel requests name
-- several.
--
-- A meeting holding more than one chair from before keeps one, the earliest
-- named: the one whose last naming as chair in the audit log came first
-- (named before the log records it counts as earliest; then the lower user
-- id, so the result never depends on the order rows happen to be read). The
-- others become delegates. The upgrade does not stop on such a meeting.
--
-- Each demotion goes on the audit record. The chain's hashes are keyed with a
-- key the database never holds (schema/012) and an entry sealed long after
-- its date reads as backdated, so the migration does not write audit_log
-- itself: it leaves the entries in `migration_audit`, and the server moves
-- them into the audit log when it starts (storage/migration_audit.py), where
-- they are sealed within a second. The entry keeps when the migration ran.

CREATE TABLE migration_audit (
    id         bigserial PRIMARY KEY,
    migration  text NOT NULL,
    action     text NOT NULL,
    target     text NOT NULL,
    details    jsonb NOT NULL,
    at         timestamptz NOT NULL DEFAULT clock_timestamp()
);

WITH chairs AS (
    SELECT p.meeting_id, p.user_id,
           (SELECT max(a.id) FROM audit_log a
             WHERE a.target = 'meeting:' || p.meeting_id
               AND a.details ->> 'user' = p.user_id::text
               AND ((a.action = 'participant.add' AND a.details ->> 'role' = 'chair')
                 OR (a.action = 'participant.role' AND a.details ->> 'to' = 'chair'))
           ) AS named
      FROM meeting_participants p
     WHERE p.role = 'chair'
), ranked AS (
    SELECT meeting_id, user_id,
           row_number() OVER w AS place,
           first_value(user_id) OVER w AS kept
      FROM chairs
    WINDOW w AS (PARTITION BY meeting_id ORDER BY named ASC NULLS FIRST, user_id)
), demoted AS (
    UPDATE meeting_participants p SET role = 'delegate'
      FROM ranked r
     WHERE p.meeting_id = r.meeting_id AND p.user_id = r.user_id AND r.place > 1
    RETURNING p.meeting_id, p.user_id, r.kept
)
INSERT INTO migration_audit (migration, action, target, details)
SELECT '015_one_chair.sql', 'participant.role', 'meeting:' || meeting_id,
       jsonb_build_object('user', user_id, 'from', 'chair', 'to', 'delegate', 'chair', kept,
                          'migration', '015_one_chair.sql',
                          'reason', 'one chair per meeting: kept the earliest named')
  FROM demoted
 ORDER BY meeting_id, user_id;

CREATE UNIQUE INDEX meeting_participants_one_chair
    ON meeting_participants (meeting_id) WHERE role = 'chair';
