-- What a revision and an audit entry say (a revision's summary, an entry's detail) is
-- kept in English for the command line, and as the template and values it was made
-- from (errors.said_as_json), so that the web says it in the reader's language, as a
-- job's message is (0020). Older rows have only the English.
ALTER TABLE revisions ADD COLUMN summary_said TEXT;
ALTER TABLE audit ADD COLUMN detail_said TEXT;
