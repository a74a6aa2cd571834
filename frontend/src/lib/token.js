// The shape of a booking token (confirm or ticket): 32 random bytes as
// base64url without padding, exactly TOK_LEN (43) characters (lib/tok.h).
// tests/shape checks the two agree.
export const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;
