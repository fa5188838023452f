"""The OpenAPI document for /api, written by hand so it says what the code does."""

from __future__ import annotations

import functools

from storyatlas import __version__
from storyatlas.archive.corrections import SPEAKER_ROLES
from storyatlas.archive.index_points import REVIEW_STATES
from storyatlas.exports import ALL_FORMATS


def _param(name: str, description: str, kind: str = "string", where: str = "query", required: bool = False) -> dict:
    return {"name": name, "in": where, "required": required, "description": description, "schema": {"type": kind}}


_ERROR = {"description": "What went wrong and what to do",
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_STORY_ID = _param("id", "Story id", "integer", "path", True)
_METADATA = {
    "title": {"type": "string", "description": "Default: from the file name"},
    "collection": {"type": "string"},
    "place": {"type": "string", "description": "Community, Region, CC (two-letter country code last)"},
    "recorded_on": {"type": "string", "description": "2026, 2026-03 or 2026-03-14"},
    "language": {"type": "string", "description": "ISO 639-1 code of the language spoken; detected if empty"},
    "storyteller": {"type": "string", "description": "How the storyteller wants to be named; empty: anonymous"},
    "description": {"type": "string"},
    "visibility": {"type": "string", "enum": ["public", "community", "researchers", "private"],
                   "description": "Who may hear it (the storyteller's consent)"},
    "embargo_until": {"type": "string", "description": "YYYY-MM-DD: before it only the community's moderators see it"},
    "storyteller_naming": {"type": "string", "enum": ["full", "first", "anonymous"],
                           "description": "How the storyteller is named on every page and export"},
    "exportable": {"type": "string", "enum": ["yes", "no"],
                   "description": "Whether it may appear in exports and downloads (default: no when omitted)"},
}

# people switch languages mid-story: a story lists every one, each segment has its own
_LANGUAGES = {"type": "array", "items": {"type": "string"},
              "description": "ISO 639-1 codes of every language spoken, the main one first"}
_SEGMENT_LANGUAGE = {"type": ["string", "null"], "description": "ISO 639-1 code of the language spoken here"}


_EXPORT_FORMATS = ALL_FORMATS
_REVIEW_STATES = REVIEW_STATES
_REVIEW_STATE = {"type": "string", "enum": list(_REVIEW_STATES),
                 "description": "How far people have checked the transcript: the machine's draft, corrected by "
                                "volunteers, reviewed by a moderator, published (apart from who may see it)"}
_INDEX_FIELDS = {
    "title": {"type": "string", "maxLength": 200}, "synopsis": {"type": "string", "maxLength": 4000},
    "keywords": {"type": "array", "items": {"type": "string", "maxLength": 100}, "maxItems": 30},
    "themes": {"type": "array", "items": {"type": "string"}, "description": "Theme ids of the vocabulary"},
    "place": {"type": "string", "maxLength": 200},
}
_SEGMENT_ID = _param("segment", "Segment id (from the transcript)", "integer", "path", True)
_REVISION_NUMBER = _param("number", "Revision number (0: the machine's draft)", "integer", "path", True)
_BASE = {"type": "integer", "description": "The revision you started from (the transcript's \"revision\"); "
                                          "409 when someone saved a newer one, or the segment is no longer in the "
                                          "transcript: reload and make the change again"}
_EDITORS = ("for signed-in volunteers and the moderators of the story's community (the session cookie); only "
            "JSON, only from this site. Answers the transcript after the change, with how many segments changed")
_EDIT_ERRORS = {"400": _ERROR, "403": _ERROR, "404": _ERROR, "409": _ERROR, "413": _ERROR, "415": _ERROR,
                "422": _ERROR}


def _edit(summary: str, body: dict, required: tuple[str, ...] = (), parameters: tuple = ()) -> dict:
    return {"summary": f"{summary}: {_EDITORS}", "parameters": [_STORY_ID, *parameters],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["base", *required], "properties": {"base": _BASE, **body}}}}},
            "responses": {"200": _json("EditedTranscript"), **_EDIT_ERRORS}}


_TRACK = {"name": "track", "in": "query", "description": "original, or en for the English (vtt, srt, txt)",
          "schema": {"type": "string", "enum": ["original", "en"]}}


def _json(schema_ref: str, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}}}


@functools.cache
def spec() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Story Atlas", "version": __version__,
                 "description": "Spoken stories, transcribed and searchable. Only public stories are served."},
        "paths": {
            "/api/stories": {
                "get": {"summary": "List stories, newest first",
                        "parameters": [_param("limit", "1-100, default 20", "integer"),
                                       _param("offset", "Stories to skip", "integer")],
                        "responses": {"200": _json("StoryList"), "400": _ERROR}},
                "post": {"summary": "Upload one or more recordings with shared metadata",
                         "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                             "type": "object", "required": ["files"],
                             "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                                            **_METADATA}}}}},
                         "responses": {"201": _json("Accepted", "At least one story was added"),
                                       "413": _ERROR, "415": _ERROR, "422": _json("Accepted", "Every file was refused")}},
            },
            "/api/stories/{id}": {"get": {
                "summary": "A story: metadata, processing state and progress, segments with English",
                "parameters": [_STORY_ID, _param("words", "1 to include word timings")],
                "responses": {"200": _json("Story"), "404": _ERROR}}},
            "/api/stories/{id}/index": {"post": {
                "summary": "Add an index point (a titled passage) to a story: for signed-in volunteers and the "
                           "moderators of its community (the session cookie); only JSON, only from this site",
                "parameters": [_STORY_ID],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "$ref": "#/components/schemas/IndexPointInput"}}}},
                "responses": {"201": _json("IndexPoint"), "400": _ERROR, "403": _ERROR, "404": _ERROR,
                              "413": _ERROR, "415": _ERROR, "422": _ERROR}}},
            "/api/stories/{id}/transcript": {"get": {
                "summary": "The transcript as the correction workbench edits it: segments with their ids and "
                           "speaker labels, the speakers' names, and the current revision to send back as base",
                "parameters": [_STORY_ID],
                "responses": {"200": _json("Transcript"), "404": _ERROR}}},
            "/api/stories/{id}/segments/{segment}": {"patch": _edit(
                "Correct a segment's text (words kept keep their timings) or set its speaker label",
                {"text": {"type": "string", "maxLength": 5000},
                 "speaker": {"type": ["string", "null"], "maxLength": 40, "description": "A label such as S1"}},
                parameters=(_SEGMENT_ID,))},
            "/api/stories/{id}/segments/{segment}/split": {"post": _edit(
                "Split a segment in two, at a time or before the word at a character offset",
                {"at": {"type": ["number", "string"], "description": "Seconds (12.5) or a time (\"0:12.5\")"},
                 "offset": {"type": "integer", "description": "A character position in the segment's text"}},
                parameters=(_SEGMENT_ID,))},
            "/api/stories/{id}/segments/{segment}/merge": {"post": _edit(
                "Merge a segment with the next one", {}, parameters=(_SEGMENT_ID,))},
            "/api/stories/{id}/speakers": {"post": _edit(
                "Name a speaker label and say their role", {
                    "label": {"type": "string", "maxLength": 40}, "name": {"type": "string", "maxLength": 200},
                    "role": {"type": "string", "enum": list(SPEAKER_ROLES), "default": "other"}}, ("label",))},
            "/api/stories/{id}/replace": {"post": _edit(
                "Find and replace plain text across the transcript", {
                    "find": {"type": "string"}, "replace": {"type": "string"},
                    "case_sensitive": {"type": "boolean", "default": True}}, ("find", "replace"))},
            "/api/stories/{id}/revisions": {"get": {
                "summary": "The transcript's saved revisions, newest first (volunteers and moderators)",
                "parameters": [_STORY_ID],
                "responses": {"200": _json("RevisionList"), "403": _ERROR, "404": _ERROR}}},
            "/api/stories/{id}/revisions/{number}": {"get": {
                "summary": "One revision's transcript; with compare, the segments whose text differs from another",
                "parameters": [_STORY_ID, _REVISION_NUMBER,
                               _param("compare", "Another revision's number: list what changed from it", "integer")],
                "responses": {"200": _json("RevisionContent"), "403": _ERROR, "404": _ERROR}}},
            "/api/stories/{id}/revisions/{number}/restore": {"post": _edit(
                "Make a revision the transcript again (itself a new revision)", {}, parameters=(_REVISION_NUMBER,))},
            "/api/stories/{id}/progress": {"get": {
                "summary": "Processing state of a story (with its receipt, also for stories not public)",
                "parameters": [_STORY_ID, _param("receipt", "The receipt given when it was uploaded")],
                "responses": {"200": {"description": "Job state"}, "404": _ERROR}}},
            "/api/stories/{id}/export.{fmt}": {"get": {
                "summary": "The transcript as WebVTT, SRT, text, JSON or CSV, the story as OHMS XML or an IIIF "
                           "Presentation 3 manifest, or its Dublin Core description",
                "parameters": [_STORY_ID,
                               {"name": "fmt", "in": "path", "required": True,
                                "schema": {"type": "string", "enum": list(_EXPORT_FORMATS)}},
                               _TRACK],
                "responses": {"200": {"description": "The file"}, "404": _ERROR, "400": _ERROR,
                              "403": _ERROR}}},
            "/api/collections/{name}/export.zip": {"get": {
                "summary": "A zip of one export per story of the collection, of the stories you may see whose "
                           "storytellers allowed exports",
                "parameters": [_param("name", "Collection", where="path", required=True),
                               {"name": "format", "in": "query",
                                "schema": {"type": "string", "enum": list(_EXPORT_FORMATS), "default": "vtt"}},
                               _TRACK],
                "responses": {"200": {"description": "The zip file",
                                      "content": {"application/zip": {"schema": {"type": "string",
                                                                                   "format": "binary"}}}},
                              "404": _ERROR}}},
            "/api/search": {"get": {
                "summary": "Moments where words are spoken, grouped by story, with facet counts",
                "parameters": [_param("q", "Words, \"a phrase\", -word to leave out, OR, word* for the words it begins",
                                      required=True),
                               _param("language", "ISO 639-1: stories in which it is spoken, anywhere in them"),
                               _param("country", "Two-letter code"), _param("region", "Region"),
                               _param("community", "Community"), _param("collection", "Collection"),
                               _param("year", "Year recorded"),
                               _param("theme", "Theme id of the vocabulary: stories tagged with it"),
                               {"name": "review_state", "in": "query", "description": "How far its transcript "
                                "was checked", "schema": {"type": "string", "enum": list(_REVIEW_STATES)}},
                               _param("limit", "Stories per page, 1-100", "integer"),
                               _param("offset", "Stories to skip", "integer")],
                "responses": {"200": _json("SearchResults"), "400": _ERROR, "422": _ERROR}}},
            "/api/uploads": {"post": {"summary": "Start a resumable upload",
                                      "responses": {"201": {"description": "Upload id and offset 0"}}}},
            "/api/uploads/{upload}": {
                "get": {"summary": "How many bytes of the upload have arrived",
                        "parameters": [_param("upload", "Upload id", where="path", required=True)],
                        "responses": {"200": {"description": "offset"}, "404": _ERROR}},
                "put": {"summary": "Append a piece, starting at the byte named in the Upload-Offset header",
                        "parameters": [_param("upload", "Upload id", where="path", required=True),
                                       _param("Upload-Offset", "Byte offset of this piece", "integer", "header", True)],
                        "requestBody": {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
                        "responses": {"200": {"description": "New offset"}, "409": _ERROR, "413": _ERROR}}},
            "/api/uploads/{upload}/finish": {"post": {
                "summary": "Turn a finished upload into a story; sent again, the same answer with a new private "
                           "link (kept as long as an unfinished upload; 409 with Retry-After while the first is "
                           "still at work)",
                "parameters": [_param("upload", "Upload id", where="path", required=True)],
                "requestBody": {"content": {form: {"schema": {
                    "type": "object", "properties": {"filename": {"type": "string"}, **_METADATA}}}
                    for form in ("application/x-www-form-urlencoded", "multipart/form-data")}},
                "responses": {"201": _json("Accepted"), "404": _ERROR, "409": _ERROR, "413": _ERROR, "415": _ERROR,
                              "422": _json("Accepted")}}},
        },
        "components": {"schemas": {
            "Error": {"type": "object", "properties": {"error": {"type": "string"}, "status": {"type": "integer"}}},
            "Job": {"type": ["object", "null"], "properties": {
                "state": {"type": "string", "enum": ["queued", "running", "done", "failed"]},
                "stage": {"type": ["string", "null"]}, "progress": {"type": "number"},
                "message": {"type": ["string", "null"]}}},
            "StorySummary": {"type": "object", "properties": {
                "id": {"type": "integer"}, "title": {"type": "string"}, "language": {"type": ["string", "null"]},
                "languages": _LANGUAGES,
                "place": {"type": "object"}, "collection": {"type": ["string", "null"]},
                "review_state": _REVIEW_STATE, "job": {"$ref": "#/components/schemas/Job"}}},
            "IndexPointInput": {"type": "object", "required": ["at", "title"], "properties": {
                "at": {"type": ["number", "string"], "description": "Seconds (62.5) or a time (\"1:02\")"},
                **_INDEX_FIELDS}},
            "IndexPoint": {"type": "object", "properties": {
                "id": {"type": "integer"}, "at": {"type": "number", "description": "Seconds"}, **_INDEX_FIELDS,
                "link": {"type": "string", "description": "The story page, playing from the point"}}},
            "StoryList": {"type": "object", "properties": {
                "total": {"type": "integer"}, "limit": {"type": "integer"}, "offset": {"type": "integer"},
                "stories": {"type": "array", "items": {"$ref": "#/components/schemas/StorySummary"}}}},
            "EditableSegment": {"type": "object", "properties": {
                "id": {"type": "integer"}, "start": {"type": "number"}, "end": {"type": "number"},
                "text": {"type": "string"}, "text_en": {"type": ["string", "null"]},
                "text_en_stale": {"type": "boolean", "description": "The text was corrected after the English "
                                  "was made: the English is out of date until translated again"},
                "speaker": {"type": ["string", "null"], "description": "Speaker label, named in speakers"},
                "language": _SEGMENT_LANGUAGE, "low_confidence": {"type": "boolean"}}},
            "Speaker": {"type": "object", "properties": {
                "label": {"type": "string"}, "name": {"type": "string"},
                "role": {"type": "string", "enum": list(SPEAKER_ROLES)}}},
            "Transcript": {"type": "object", "properties": {
                "story_id": {"type": "integer"},
                "revision": {"type": "integer", "description": "The current revision: send it as base"},
                "editable": {"type": "boolean", "description": "Whether you may correct it"},
                "review_state": _REVIEW_STATE, "language": {"type": ["string", "null"]},
                "segments": {"type": "array", "items": {"$ref": "#/components/schemas/EditableSegment"}},
                "speakers": {"type": "array", "items": {"$ref": "#/components/schemas/Speaker"}}}},
            "EditedTranscript": {"allOf": [{"$ref": "#/components/schemas/Transcript"}, {
                "type": "object", "properties": {"changed": {"type": "integer",
                                                             "description": "Segments (or speakers) changed"}}}]},
            "Revision": {"type": "object", "properties": {
                "number": {"type": "integer"}, "who": {"type": "string"}, "at": {"type": "string"},
                "summary": {"type": "string"}}},
            "RevisionList": {"type": "object", "properties": {
                "story_id": {"type": "integer"},
                "revisions": {"type": "array", "items": {"$ref": "#/components/schemas/Revision"}}}},
            "RevisionContent": {"allOf": [{"$ref": "#/components/schemas/Revision"}, {
                "type": "object", "properties": {
                    "segments": {"type": "array", "items": {"type": "object"}},
                    "speakers": {"type": "array", "items": {"$ref": "#/components/schemas/Speaker"}},
                    "changes": {"type": "array", "items": {"type": "object", "properties": {
                        "start": {"type": "number"}, "end": {"type": "number"},
                        "before": {"type": ["string", "null"]}, "after": {"type": ["string", "null"]}}}}}}]},
            "Segment": {"type": "object", "properties": {
                "start": {"type": "number"}, "end": {"type": "number"}, "text": {"type": "string"},
                "text_en": {"type": ["string", "null"],
                            "description": "Machine translation into English (none for a segment spoken in English)"},
                "language": _SEGMENT_LANGUAGE,
                "low_confidence": {"type": "boolean",
                                   "description": "The machine was unsure here: listen to the recording"},
                "speaker": {"type": ["string", "null"], "description": "Who speaks, as named by volunteers"}}},
            "Story": {"type": "object", "properties": {
                "id": {"type": "integer"}, "title": {"type": "string"},
                "language": {"type": ["string", "null"], "description": "ISO 639-1 code of the main language"},
                "languages": _LANGUAGES, "review_state": _REVIEW_STATE,
                "job": {"$ref": "#/components/schemas/Job"},
                "index_points": {"type": "array", "items": {"$ref": "#/components/schemas/IndexPoint"}},
                "segments": {"type": "array", "items": {"$ref": "#/components/schemas/Segment"}},
                "recording_notice": {"type": ["string", "null"], "description": "To the story's moderators only: "
                                     "less could be decoded than the original file says it holds"}}},
            "Accepted": {"type": "object", "properties": {
                "filename": {"type": "string"}, "story_id": {"type": "integer"}, "job_state": {"type": "string"},
                "duplicate": {"type": "boolean"}, "error": {"type": "string"}, "receipt": {"type": "string", "description": "The storyteller's private token, shown once: "
                            "follows processing (progress?receipt=) and opens the link"},
                "link": {"type": "string", "description": "The storyteller's private page: /mine/<token>"},
                "awaiting_review": {"type": "boolean",
                                    "description": "Private until a moderator publishes it (uploads from the public)"},
                "notice": {"type": "string", "description": "Taken in, but the sender should know something: "
                           "less could be decoded than the file says it holds"}}},
            "SearchResults": {"type": "object", "properties": {
                "query": {"type": "string"}, "total_stories": {"type": "integer"},
                "by_words": {"type": "integer", "description": "Of the stories, those found by their words or "
                             "themes; the others only come close in meaning"},
                "relaxed": {"type": "boolean"},
                "suggestions": {"type": "array", "items": {"type": "string"}},
                "suggested_queries": {"type": "array", "items": {"type": "string"},
                                      "description": "The query with each suggestion in the place of its word"},
                "word_for_word": {"type": ["string", "null"],
                                  "description": "Where every word asked for is too common to search alone "
                                  "(\"the\"), so none was searched: the query with them quoted, which searches "
                                  "them word for word"},
                "only_left_out": {"type": "boolean",
                                  "description": "The query only says what to leave out (\"-river\")"},
                "begun_cut": {"type": "array", "items": {"type": "string"},
                              "description": "Words typed with * that begin so many words that only the "
                              "shortest were searched"},
                "filters": {"type": "object", "additionalProperties": {"type": "string"},
                            "description": "The filters searched within (language, country, theme, ...), as given"},
                "limit": {"type": "integer"}, "offset": {"type": "integer"},
                "facets": {"type": "object", "description": "Per facet, values with story counts; a story counts "
                           "under every language spoken in it"},
                "stories": {"type": "array", "items": {"$ref": "#/components/schemas/StoryHit"}}}},
            "StoryHit": {"type": "object", "properties": {
                "story_id": {"type": "integer"}, "title": {"type": "string"},
                "language": {"type": ["string", "null"]}, "languages": _LANGUAGES,
                "country": {"type": ["string", "null"]}, "collection": {"type": ["string", "null"]},
                "rank": {"type": "integer", "description": "Place in the ranking, from 1"},
                "themes": {"type": "array", "items": {"type": "string"}},
                "moments": {"type": "array", "items": {"$ref": "#/components/schemas/Moment"}}}},
            "Moment": {"type": "object", "properties": {
                "at": {"type": "number", "description": "Seconds: where the first matched word is spoken"},
                "start": {"type": "number"}, "end": {"type": "number"}, "text": {"type": "string"},
                "text_en": {"type": ["string", "null"]}, "language": _SEGMENT_LANGUAGE,
                "snippet": {"type": "string", "description": "HTML: escaped text, <mark> around matched words"},
                "why": {"type": "array", "items": {"type": "string"},
                        "description": "words, translation, theme, or index (an index point's title, synopsis "
                                       "or keywords: text is its title, at its time)"},
                "link": {"type": "string"}}},
        }},
    }
