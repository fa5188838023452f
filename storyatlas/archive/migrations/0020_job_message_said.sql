-- A job's message (why it failed) is kept in English for the command line, and as the
-- template and values it was made from (errors.said_as_json), so that the web says it
-- in the reader's language. Older jobs have only the English.
ALTER TABLE jobs ADD COLUMN message_said TEXT;
