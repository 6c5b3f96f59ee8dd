//! How requests to Azure Blob Storage are authorized: a storage account key
//! (Shared Key: an HMAC-SHA256 over the canonicalized request), a SAS token
//! (appended to every URL), or a Microsoft Entra token (`Bearer`). Keys,
//! SAS tokens and bearer tokens are [`Secret`]s: never printed, and taken
//! out of any text that could reach an error message.

use crate::backend::azure::Secret;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// How requests are authorized.
pub enum Auth {
    /// `ARM_ACCESS_KEY`: the storage account's key (base64).
    Key { key: Secret, decoded: Vec<u8> },
    /// `ARM_SAS_TOKEN`: a shared access signature (the query string, with
    /// or without its leading `?`).
    Sas(Secret),
    /// `ARM_USE_AZUREAD`: a Microsoft Entra token for Azure Storage, from
    /// the `ARM_*` credential settings.
    Entra(crate::backend::azure::config::TokenSource),
}

impl Auth {
    /// A Shared Key credential; the key must be base64.
    pub fn key(key: &str) -> Result<Auth, String> {
        let decoded = B64
            .decode(key.trim())
            .map_err(|_| "ARM_ACCESS_KEY is not a storage account key (it is not base64)".to_string())?;
        Ok(Auth::Key {
            key: Secret::new(key.trim()),
            decoded,
        })
    }

    /// A SAS credential.
    pub fn sas(token: &str) -> Auth {
        Auth::Sas(Secret::new(token.trim().trim_start_matches('?')))
    }

    /// What the method is called in messages (`403 … with the storage account key`).
    pub fn describe(&self) -> &'static str {
        match self {
            Auth::Key { .. } => "the storage account key (ARM_ACCESS_KEY)",
            Auth::Sas(_) => "the SAS token (ARM_SAS_TOKEN)",
            Auth::Entra(_) => "a Microsoft Entra token (ARM_USE_AZUREAD)",
        }
    }

    /// `text` with every secret this credential holds replaced by `<redacted>`.
    pub fn redact(&self, text: &str) -> String {
        let secret = match self {
            Auth::Key { key, .. } => key.expose(),
            Auth::Sas(s) => s.expose(),
            Auth::Entra(_) => return text.to_string(),
        };
        let mut out = text.to_string();
        if !secret.is_empty() {
            out = out.replace(secret, "<redacted>");
            // A SAS token's signature also appears on its own (`sig=…`).
            for part in secret.split('&').filter(|p| p.starts_with("sig=")) {
                out = out.replace(part, "sig=<redacted>");
            }
        }
        out
    }
}

/// The `Authorization` header of a Shared Key request.
pub fn shared_key_header(account: &str, key: &[u8], string_to_sign: &str) -> String {
    let sig = hmac_sha256(key, string_to_sign.as_bytes());
    format!("SharedKey {account}:{}", B64.encode(sig))
}

/// What a request looks like to the Shared Key signature.
pub struct Signed<'a> {
    pub verb: &'a str,
    /// Headers by lowercase name (the standard ones and every `x-ms-`).
    pub headers: &'a BTreeMap<String, String>,
    /// `/<account><path>`: the account, then the URL's path as sent.
    pub resource: String,
    /// Query parameters, decoded.
    pub query: &'a [(String, String)],
}

/// The string a Shared Key signs (Blob service, version 2015-02-21 and later).
pub fn string_to_sign(r: &Signed) -> String {
    let h = |name: &str| r.headers.get(name).map(String::as_str).unwrap_or("");
    // An empty body sends no length line.
    let length = match h("content-length") {
        "0" => "",
        l => l,
    };
    let mut s = String::new();
    for line in [
        r.verb,
        h("content-encoding"),
        h("content-language"),
        length,
        h("content-md5"),
        h("content-type"),
        h("date"),
        h("if-modified-since"),
        h("if-match"),
        h("if-none-match"),
        h("if-unmodified-since"),
        h("range"),
    ] {
        s.push_str(line);
        s.push('\n');
    }
    for (name, value) in r.headers.iter().filter(|(n, _)| n.starts_with("x-ms-")) {
        s.push_str(name);
        s.push(':');
        s.push_str(&value.split_whitespace().collect::<Vec<_>>().join(" "));
        s.push('\n');
    }
    s.push_str(&r.resource);
    let mut params: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (k, v) in r.query {
        params.entry(k.to_lowercase()).or_default().push(v);
    }
    for (k, mut vs) in params {
        vs.sort_unstable();
        s.push('\n');
        s.push_str(&k);
        s.push(':');
        s.push_str(&vs.join(","));
    }
    s
}

/// HMAC-SHA256 (RFC 2104) over `sha2`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let pad = |b: u8| k.iter().map(|x| x ^ b).collect::<Vec<u8>>();
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(message).finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// `Fri, 26 Jun 2015 23:39:12 GMT` (the `x-ms-date` format) from seconds since the epoch.
pub fn http_date(secs: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (y, m, d, h, mi, s) = crate::clock::civil(secs);
    let wd = DAYS[secs.div_euclid(86_400).rem_euclid(7) as usize];
    let mon = MONTHS[(m - 1).clamp(0, 11) as usize];
    format!("{wd}, {d:02} {mon} {y:04} {h:02}:{mi:02}:{s:02} GMT")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test cases 1, 2 and 6 (a key longer than the block).
        assert_eq!(
            hex(&hmac_sha256(&[0x0b; 20], b"Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn the_string_to_sign_of_the_documented_example() {
        // "Authorize with Shared Key", Blob service: Get Container Metadata.
        let headers: BTreeMap<String, String> = [
            ("x-ms-date", "Fri, 26 Jun 2015 23:39:12 GMT"),
            ("x-ms-version", "2015-02-21"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let query: Vec<(String, String)> = [("restype", "container"), ("comp", "metadata"), ("timeout", "20")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let s = string_to_sign(&Signed {
            verb: "GET",
            headers: &headers,
            resource: "/myaccount/mycontainer".into(),
            query: &query,
        });
        assert_eq!(
            s,
            "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Fri, 26 Jun 2015 23:39:12 GMT\nx-ms-version:2015-02-21\n/myaccount/mycontainer\ncomp:metadata\nrestype:container\ntimeout:20"
        );
    }

    #[test]
    fn dates_are_in_the_http_format() {
        assert_eq!(http_date(1_435_361_952), "Fri, 26 Jun 2015 23:39:12 GMT");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    }

    #[test]
    fn secrets_are_redacted() {
        let sas = Auth::sas("?sv=2021-08-06&ss=b&sig=abc%2Fdef");
        let text = "GET https://a.blob.core.windows.net/c/k?sv=2021-08-06&ss=b&sig=abc%2Fdef: 403";
        assert_eq!(
            sas.redact(text),
            "GET https://a.blob.core.windows.net/c/k?<redacted>: 403"
        );
        assert_eq!(sas.redact("...&sig=abc%2Fdef"), "...&sig=<redacted>");
        let key = Auth::key("a2V5a2V5").unwrap();
        assert_eq!(key.redact("the key a2V5a2V5 is wrong"), "the key <redacted> is wrong");
        assert!(Auth::key("not base64!").is_err());
    }
}
