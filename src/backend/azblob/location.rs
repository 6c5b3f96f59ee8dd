//! `azblob://<account>/<container>/<key>[?endpoint=URL]`: which blob holds
//! a stack, and where its storage account answers.

use std::fmt;

/// The scheme of a blob state location.
pub const SCHEME: &str = "azblob://";
/// Overrides the Blob endpoint (Azurite, sovereign clouds, private endpoints).
pub const ENDPOINT_ENV: &str = "HYBRIDK8S_BLOB_ENDPOINT";

/// One blob of one container of one storage account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub account: String,
    pub container: String,
    /// The blob's name (it may hold `/`).
    pub key: String,
    /// The Blob endpoint's origin (`https://<account>.blob.core.windows.net`).
    origin: String,
    /// The endpoint's path before the container (`/devstoreaccount1` for Azurite).
    base: String,
}

impl Location {
    /// Whether `s` names a blob rather than a file.
    pub fn is_blob(s: &str) -> bool {
        s.starts_with(SCHEME)
    }

    /// Parses a location; `env` answers `HYBRIDK8S_BLOB_ENDPOINT` and
    /// `ARM_ENVIRONMENT` (the default endpoint's cloud).
    pub fn parse(s: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Location, String> {
        let bad = |why: &str| format!("--state {s}: {why} (expected azblob://<account>/<container>/<key>)");
        let rest = s.strip_prefix(SCHEME).ok_or_else(|| bad("not an azblob:// location"))?;
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut parts = path.splitn(3, '/');
        let (account, container, key) = match (parts.next(), parts.next(), parts.next()) {
            (Some(a), Some(c), Some(k)) if !a.is_empty() && !c.is_empty() && !k.is_empty() => (a, c, k),
            _ => return Err(bad("the account, the container and the key are all needed")),
        };
        if !(3..=24).contains(&account.len()) || !account.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        {
            return Err(bad(&format!(
                "`{account}` is not a storage account name (3 to 24 lowercase letters and digits)"
            )));
        }
        if !(3..=63).contains(&container.len())
            || !container
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            || container.starts_with('-')
            || container.contains("--")
        {
            return Err(bad(&format!(
                "`{container}` is not a container name (3 to 63 lowercase letters, digits and single hyphens)"
            )));
        }
        if key.len() > 1024 || key.ends_with('/') || key.split('/').any(|p| p.is_empty() || p == "." || p == "..") {
            return Err(bad(&format!("`{key}` is not a blob name")));
        }
        let mut endpoint = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("endpoint", v)) => endpoint = Some(v.to_string()),
                _ => {
                    return Err(bad(&format!(
                        "unknown setting `{pair}` (the only one is `endpoint=URL`)"
                    )))
                }
            }
        }
        let endpoint = match endpoint.or_else(|| env(ENDPOINT_ENV)) {
            Some(e) => e,
            None => {
                let suffix = match env("ARM_ENVIRONMENT").as_deref().map(str::to_lowercase).as_deref() {
                    None | Some("public") => "core.windows.net",
                    Some("usgovernment") => "core.usgovcloudapi.net",
                    Some("china") => "core.chinacloudapi.cn",
                    Some(other) => {
                        return Err(format!(
                            "ARM_ENVIRONMENT `{other}` is not public, usgovernment or china; set {ENDPOINT_ENV} to the Blob endpoint"
                        ))
                    }
                };
                format!("https://{account}.blob.{suffix}")
            }
        };
        let url =
            reqwest::Url::parse(&endpoint).map_err(|e| format!("the Blob endpoint `{endpoint}` is not a URL: {e}"))?;
        let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            _ => {
                return Err(format!(
                    "the Blob endpoint `{endpoint}` must use https (plain http only on loopback, for an emulator)"
                ))
            }
        }
        if url.query().is_some() || url.username() != "" || url.password().is_some() {
            return Err(format!(
                "the Blob endpoint `{endpoint}` may hold no query and no credentials (a SAS token goes in ARM_SAS_TOKEN)"
            ));
        }
        Ok(Location {
            account: account.to_string(),
            container: container.to_string(),
            key: key.to_string(),
            origin: url.origin().ascii_serialization(),
            base: url.path().trim_end_matches('/').to_string(),
        })
    }

    /// `scheme://host[:port]`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The endpoint's path before the container (empty on Azure).
    pub fn base_path(&self) -> &str {
        &self.base
    }

    /// The blob's path, encoded.
    pub fn blob_path(&self) -> String {
        format!(
            "{}/{}/{}",
            self.base,
            self.container,
            super::rest::encode(&self.key, true)
        )
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SCHEME}{}/{}/{}", self.account, self.container, self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::Location;

    fn parse(s: &str, env: &[(&str, &str)]) -> Result<Location, String> {
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Location::parse(s, &move |k| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
    }

    #[test]
    fn locations_name_account_container_and_key() {
        let l = parse("azblob://acct1/tfstate/envs/dev.hkstate", &[]).unwrap();
        assert_eq!((l.account.as_str(), l.container.as_str()), ("acct1", "tfstate"));
        assert_eq!(l.key, "envs/dev.hkstate");
        assert_eq!(l.origin(), "https://acct1.blob.core.windows.net");
        assert_eq!(l.blob_path(), "/tfstate/envs/dev.hkstate");
        assert_eq!(l.to_string(), "azblob://acct1/tfstate/envs/dev.hkstate");
        let china = parse("azblob://acct1/tfstate/k", &[("ARM_ENVIRONMENT", "china")]).unwrap();
        assert_eq!(china.origin(), "https://acct1.blob.core.chinacloudapi.cn");
    }

    #[test]
    fn an_emulator_endpoint_comes_from_the_query_or_the_environment() {
        let q = parse(
            "azblob://devstoreaccount1/tfstate/dev.hkstate?endpoint=http://127.0.0.1:10000/devstoreaccount1",
            &[],
        )
        .unwrap();
        let e = parse(
            "azblob://devstoreaccount1/tfstate/dev.hkstate",
            &[("HYBRIDK8S_BLOB_ENDPOINT", "http://127.0.0.1:10000/devstoreaccount1/")],
        )
        .unwrap();
        assert_eq!(q, e);
        assert_eq!(q.origin(), "http://127.0.0.1:10000");
        assert_eq!(q.blob_path(), "/devstoreaccount1/tfstate/dev.hkstate");
    }

    #[test]
    fn bad_locations_say_why() {
        for (s, why) in [
            ("azblob://acct1/tfstate", "are all needed"),
            ("azblob://Acct/tfstate/k", "not a storage account name"),
            ("azblob://acct1/TF/k", "not a container name"),
            ("azblob://acct1/tfstate/a//b", "not a blob name"),
            ("azblob://acct1/tfstate/k?x=1", "unknown setting"),
            (
                "azblob://acct1/tfstate/k?endpoint=http://example.test",
                "must use https",
            ),
        ] {
            let e = parse(s, &[]).unwrap_err();
            assert!(e.contains(why), "{s}: {e}");
        }
    }
}
