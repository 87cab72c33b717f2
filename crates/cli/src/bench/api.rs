//! The bench's REST client for the server under test: form and JSON requests with the
//! account's credentials, and the account's calls read back page by page.

use std::collections::HashMap;

use axum::http::header;

/// The server's REST API as the bench's account.
pub(super) struct Api {
    pub(super) http: reqwest::Client,
    pub(super) base: String,
    pub(super) sid: String,
    pub(super) token: String,
}

impl Api {
    /// `POST` a form; the JSON answer.
    pub(super) async fn post(
        &self,
        path: &str,
        form: &[(&str, &str)],
    ) -> Result<serde_json::Value, String> {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .basic_auth(&self.sid, Some(&self.token))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| format!("POST {path}: {e}"))?;
        Self::json(path, resp).await
    }

    /// `POST` a JSON body (the v2 resources); the JSON answer.
    pub(super) async fn post_json(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, String> {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .basic_auth(&self.sid, Some(&self.token))
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| format!("POST {path}: {e}"))?;
        Self::json(path, resp).await
    }

    /// `GET`; the JSON answer.
    pub(super) async fn get(&self, path_and_query: &str) -> Result<serde_json::Value, String> {
        let resp = self
            .http
            .get(format!("{}{path_and_query}", self.base))
            .basic_auth(&self.sid, Some(&self.token))
            .send()
            .await
            .map_err(|e| format!("GET {path_and_query}: {e}"))?;
        Self::json(path_and_query, resp).await
    }

    /// `GET`; the body's bytes (a WAV file).
    pub(super) async fn get_bytes(&self, path: &str) -> Result<Vec<u8>, String> {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .basic_auth(&self.sid, Some(&self.token))
            .send()
            .await
            .map_err(|e| format!("GET {path}: {e}"))?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| format!("{path}: {e}"))?;
        if !status.is_success() {
            return Err(format!("{path}: {status}"));
        }
        Ok(bytes.to_vec())
    }

    async fn json(path: &str, resp: reqwest::Response) -> Result<serde_json::Value, String> {
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| format!("{path}: {e}"))?;
        if !status.is_success() {
            return Err(format!(
                "{path}: {status} {}",
                String::from_utf8_lossy(&bytes)
            ));
        }
        serde_json::from_slice(&bytes).map_err(|e| format!("{path}: not JSON: {e}"))
    }

    /// Every call record of the account.
    pub(super) async fn calls(&self) -> Result<Vec<serde_json::Value>, String> {
        let mut calls = Vec::new();
        let mut next = Some(format!(
            "/2010-04-01/Accounts/{}/Calls.json?PageSize=1000",
            self.sid
        ));
        while let Some(uri) = next {
            let mut page = self.get(&uri).await?;
            if let Some(list) = page["calls"].as_array_mut() {
                calls.append(list);
            }
            next = page["next_page_uri"].as_str().map(str::to_owned);
        }
        Ok(calls)
    }

    /// Final status → count, over every call of the account.
    pub(super) async fn statuses(&self) -> Result<HashMap<String, u64>, String> {
        let mut counts = HashMap::new();
        for call in self.calls().await? {
            let status = call["status"].as_str().unwrap_or("?").to_owned();
            *counts.entry(status).or_default() += 1;
        }
        Ok(counts)
    }
}
