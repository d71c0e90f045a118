/** HTTP field syntax (RFC 9110 §5), shared by every part that checks header names and values. */

/** A field name: an RFC 9110 token, which is also what Node accepts. */
export const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** A field value Node can send: tab, visible ASCII, space and obs-text bytes; no CR, LF or NUL. */
export const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** App Engine's stricter rule for values it passes on: printable ASCII only. */
export const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** A media type as app.yaml's `mime_type` takes it: `type/subtype`, optionally with parameters. */
export const MEDIA_TYPE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+\/[!#$%&'*+\-.^_`|~0-9A-Za-z]+(\s*;.*)?$/;
