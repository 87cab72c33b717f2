-- API key secrets kept sealed (AES-256-GCM, `v1:` + base64, the key SID as associated data) so
-- that access tokens signed with them can be verified. NULL for keys created before this
-- migration or by a server without a secret key: they still authenticate HTTP requests (the
-- digest), but cannot sign Voice SDK access tokens.
-- Keep in step with ../postgres.
ALTER TABLE api_keys ADD COLUMN secret_sealed TEXT;
