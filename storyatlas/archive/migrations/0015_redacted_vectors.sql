-- a redacted line's vector was made from its text with its "[…]" mark, and the mark alone
-- sat closest to the words it hid ("pumped", "cellar"): made again from the words left
-- around the mark (archive/vectors.py), or not at all when nothing is left
DELETE FROM segment_vectors WHERE segment_id IN (SELECT id FROM segments WHERE instr(text, '[…]') > 0);
