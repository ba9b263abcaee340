-- One chair per meeting, kept by the database: checking "has the meeting a
-- chair yet?" in the server and then adding one let parallel requests name
-- several. A meeting holding more than one chair from before stops this
-- migration: the body's admin keeps one and makes the others delegates.
CREATE UNIQUE INDEX meeting_participants_one_chair
    ON meeting_participants (meeting_id) WHERE role = 'chair';
