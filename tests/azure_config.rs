//! The Azure settings resolved the azurerm way: every credential branch,
//! the precedence between them, clouds and explicit endpoints, and the
//! errors for what is missing or wrong — which never show a secret.

use hybridk8s::backend::azure::config::{check_setting, AttrValue, ConfigError, CLIENT_SECRET, SUBSCRIPTION_ID};
use hybridk8s::backend::azure::{AzureConfig, Cloud, CredentialSource, OidcToken, Secret};
use std::collections::HashMap;
use std::path::PathBuf;

const SUB: &str = "11111111-2222-3333-4444-555555555555";
const TENANT: &str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
const CLIENT: &str = "99999999-8888-7777-6666-555555555555";
const SECRET: &str = "hunter2-very-secret";

fn resolve(attrs: &[(&str, AttrValue)], env: &[(&str, &str)]) -> Result<AzureConfig, ConfigError> {
    let attrs: HashMap<String, AttrValue> = attrs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    let env: HashMap<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    AzureConfig::resolve(|k| attrs.get(k).cloned(), |k| env.get(k).cloned())
}

/// Environment variables of one case.
type Env<'a> = &'a [(&'a str, &'a str)];

fn s(v: &str) -> AttrValue {
    AttrValue::Str(v.to_string())
}

#[test]
fn credentials_in_azurerm_precedence() {
    let sp = [("ARM_TENANT_ID", TENANT), ("ARM_CLIENT_ID", CLIENT)];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut e = vec![("ARM_SUBSCRIPTION_ID", SUB)];
        e.extend_from_slice(&sp);
        e.extend_from_slice(extra);
        e
    };
    let secret = CredentialSource::ClientSecret {
        tenant_id: TENANT.into(),
        client_id: CLIENT.into(),
        client_secret: Secret::new(SECRET),
    };
    let oidc = |token| CredentialSource::Oidc {
        tenant_id: TENANT.into(),
        client_id: CLIENT.into(),
        token,
    };
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, CredentialSource);
    let cases: Vec<Case> = vec![
        (
            "nothing set: the Azure CLI",
            with(&[]),
            CredentialSource::AzureCli {
                tenant_id: Some(TENANT.into()),
            },
        ),
        (
            "a client secret",
            with(&[("ARM_CLIENT_SECRET", SECRET)]),
            secret.clone(),
        ),
        (
            "a client secret beats every flag",
            with(&[
                ("ARM_CLIENT_SECRET", SECRET),
                ("ARM_USE_OIDC", "true"),
                ("ARM_OIDC_TOKEN", "t"),
                ("ARM_USE_MSI", "1"),
            ]),
            secret,
        ),
        (
            "OIDC with an inline token",
            with(&[("ARM_USE_OIDC", "true"), ("ARM_OIDC_TOKEN", "jwt")]),
            oidc(OidcToken::Inline(Secret::new("jwt"))),
        ),
        (
            "OIDC: the inline token beats the file",
            with(&[
                ("ARM_USE_OIDC", "1"),
                ("ARM_OIDC_TOKEN", "jwt"),
                ("ARM_OIDC_TOKEN_FILE_PATH", "/var/run/token"),
            ]),
            oidc(OidcToken::Inline(Secret::new("jwt"))),
        ),
        (
            "OIDC with a token file",
            with(&[("ARM_USE_OIDC", "TRUE"), ("ARM_OIDC_TOKEN_FILE_PATH", "/var/run/token")]),
            oidc(OidcToken::File(PathBuf::from("/var/run/token"))),
        ),
        (
            "OIDC beats MSI",
            with(&[
                ("ARM_USE_OIDC", "true"),
                ("ARM_OIDC_TOKEN", "jwt"),
                ("ARM_USE_MSI", "true"),
            ]),
            oidc(OidcToken::Inline(Secret::new("jwt"))),
        ),
        (
            "a user-assigned managed identity",
            with(&[("ARM_USE_MSI", "true")]),
            CredentialSource::ManagedIdentity {
                client_id: Some(CLIENT.into()),
            },
        ),
        (
            "a system-assigned managed identity",
            vec![
                ("ARM_SUBSCRIPTION_ID", SUB),
                ("ARM_USE_MSI", "1"),
                ("ARM_USE_CLI", "false"),
            ],
            CredentialSource::ManagedIdentity { client_id: None },
        ),
        (
            "OIDC off, MSI off: the CLI",
            with(&[("ARM_USE_OIDC", "false"), ("ARM_USE_MSI", "0"), ("ARM_USE_CLI", "true")]),
            CredentialSource::AzureCli {
                tenant_id: Some(TENANT.into()),
            },
        ),
        (
            "an empty secret is not set",
            with(&[("ARM_CLIENT_SECRET", "")]),
            CredentialSource::AzureCli {
                tenant_id: Some(TENANT.into()),
            },
        ),
    ];
    for (what, env, want) in cases {
        let got = resolve(&[], &env).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(got.credential, want, "{what}");
        assert_eq!(got.subscription_id, SUB, "{what}");
    }
}

#[test]
fn attributes_beat_the_environment() {
    let got = resolve(
        &[
            ("subscription_id", s(SUB)),
            ("client_secret", s("from-attr")),
            ("use_cli", AttrValue::Bool(false)),
            ("environment", s("china")),
        ],
        &[
            ("ARM_SUBSCRIPTION_ID", "22222222-2222-2222-2222-222222222222"),
            ("ARM_TENANT_ID", TENANT),
            ("ARM_CLIENT_ID", CLIENT),
            ("ARM_CLIENT_SECRET", "from-env"),
            ("ARM_ENVIRONMENT", "public"),
        ],
    )
    .unwrap();
    assert_eq!(got.subscription_id, SUB);
    assert_eq!(got.cloud, Cloud::China);
    assert!(
        matches!(got.credential, CredentialSource::ClientSecret { ref client_secret, .. } if client_secret.expose() == "from-attr")
    );
    // A boolean attribute beats the environment too.
    let got = resolve(
        &[("use_msi", AttrValue::Bool(false))],
        &[("ARM_SUBSCRIPTION_ID", SUB), ("ARM_USE_MSI", "true")],
    )
    .unwrap();
    assert_eq!(got.credential, CredentialSource::AzureCli { tenant_id: None });
}

#[test]
fn clouds_and_explicit_endpoints() {
    let base = [("ARM_SUBSCRIPTION_ID", SUB)];
    let cases: &[(Env, Cloud, &str, &str)] = &[
        (
            &[],
            Cloud::Public,
            "https://management.azure.com/",
            "https://login.microsoftonline.com/",
        ),
        (
            &[("ARM_ENVIRONMENT", "public")],
            Cloud::Public,
            "https://management.azure.com/",
            "https://login.microsoftonline.com/",
        ),
        (
            &[("ARM_ENVIRONMENT", "USGovernment")],
            Cloud::UsGovernment,
            "https://management.usgovcloudapi.net/",
            "https://login.microsoftonline.us/",
        ),
        (
            &[("ARM_ENVIRONMENT", "china")],
            Cloud::China,
            "https://management.chinacloudapi.cn/",
            "https://login.chinacloudapi.cn/",
        ),
        (
            &[
                ("ARM_ENVIRONMENT", "china"),
                ("ARM_RESOURCE_MANAGER_ENDPOINT", "http://127.0.0.1:8443"),
                ("AZURE_AUTHORITY_HOST", "http://127.0.0.1:8443/login"),
            ],
            Cloud::China,
            "http://127.0.0.1:8443/",
            "http://127.0.0.1:8443/login/",
        ),
        (
            &[("ARM_RESOURCE_MANAGER_ENDPOINT", "https://arm.example/")],
            Cloud::Public,
            "https://arm.example/",
            "https://login.microsoftonline.com/",
        ),
    ];
    for (extra, cloud, arm, login) in cases {
        let env: Vec<(&str, &str)> = base.iter().chain(extra.iter()).copied().collect();
        let got = resolve(&[], &env).unwrap();
        assert_eq!(
            (
                got.cloud,
                got.resource_manager_endpoint.as_str(),
                got.authority_host.as_str()
            ),
            (*cloud, *arm, *login),
            "{extra:?}"
        );
    }
}

/// Every refusal, its message (snapshotted: users read them) and the
/// setting it is about.
#[test]
fn refusals_say_what_to_set() {
    let sp = [
        ("ARM_SUBSCRIPTION_ID", SUB),
        ("ARM_TENANT_ID", TENANT),
        ("ARM_CLIENT_ID", CLIENT),
    ];
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("no subscription", vec![]),
        (
            "a subscription that is not a GUID",
            vec![("ARM_SUBSCRIPTION_ID", "my-subscription")],
        ),
        (
            "a secret without a tenant",
            vec![
                ("ARM_SUBSCRIPTION_ID", SUB),
                ("ARM_CLIENT_ID", CLIENT),
                ("ARM_CLIENT_SECRET", SECRET),
            ],
        ),
        (
            "a secret without a client",
            vec![
                ("ARM_SUBSCRIPTION_ID", SUB),
                ("ARM_TENANT_ID", TENANT),
                ("ARM_CLIENT_SECRET", SECRET),
            ],
        ),
        ("OIDC without a token", [&sp[..], &[("ARM_USE_OIDC", "true")]].concat()),
        (
            "OIDC without a client",
            vec![
                ("ARM_SUBSCRIPTION_ID", SUB),
                ("ARM_TENANT_ID", TENANT),
                ("ARM_USE_OIDC", "true"),
                ("ARM_OIDC_TOKEN", SECRET),
            ],
        ),
        (
            "a boolean that is not one",
            [&sp[..], &[("ARM_USE_MSI", "yes")]].concat(),
        ),
        ("an unknown cloud", [&sp[..], &[("ARM_ENVIRONMENT", "german")]].concat()),
        (
            "an endpoint without a scheme",
            [&sp[..], &[("ARM_RESOURCE_MANAGER_ENDPOINT", "management.azure.com")]].concat(),
        ),
        (
            "an authority host with a query",
            [&sp[..], &[("AZURE_AUTHORITY_HOST", "https://login.example/?x=1")]].concat(),
        ),
        (
            "a tenant that would change the token URL",
            [&sp[..], &[("ARM_TENANT_ID", "a/../b")]].concat(),
        ),
        (
            "every method off",
            vec![("ARM_SUBSCRIPTION_ID", SUB), ("ARM_USE_CLI", "false")],
        ),
    ];
    let mut out = String::new();
    for (what, env) in cases {
        let e = resolve(&[], &env).expect_err(what);
        let text = e.to_string();
        assert!(!text.contains(SECRET), "{what}: {text}");
        let at = e.setting().map_or("-".to_string(), |s| s.attribute.to_string());
        out.push_str(&format!("## {what} [{at}]\n{text}\n\n"));
    }
    insta::assert_snapshot!(out);
}

#[test]
fn secrets_never_show_in_debug_or_errors() {
    let cfg = resolve(
        &[],
        &[
            ("ARM_SUBSCRIPTION_ID", SUB),
            ("ARM_TENANT_ID", TENANT),
            ("ARM_CLIENT_ID", CLIENT),
            ("ARM_CLIENT_SECRET", SECRET),
        ],
    )
    .unwrap();
    let debug = format!("{cfg:?}");
    assert!(!debug.contains(SECRET) && debug.contains("<redacted>"), "{debug}");
    // A secret attribute is never judged, so its value is never quoted.
    assert_eq!(check_setting(CLIENT_SECRET, &s("?? / weird")), Ok(()));
    let e = check_setting(SUBSCRIPTION_ID, &s("nope")).unwrap_err();
    assert_eq!(e.setting(), Some(SUBSCRIPTION_ID));
}

#[test]
fn guids() {
    use hybridk8s::backend::azure::config::{is_guid, subscription_or_local};
    assert!(is_guid(SUB) && is_guid("ABCDEF01-2345-6789-abcd-ef0123456789"));
    for bad in [
        "",
        "sub-1",
        "11111111-2222-3333-4444-55555555555",
        "g1111111-2222-3333-4444-555555555555",
        "11111111222233334444555555555555",
    ] {
        assert!(!is_guid(bad), "{bad}");
    }
    assert_eq!(
        subscription_or_local(None).unwrap(),
        hybridk8s::graph::LOCAL_SUBSCRIPTION
    );
    assert_eq!(
        subscription_or_local(Some("")).unwrap(),
        hybridk8s::graph::LOCAL_SUBSCRIPTION
    );
    assert!(subscription_or_local(Some("x")).is_err());
}

mod cli {
    use super::{CLIENT, SECRET, SUB};
    use std::process::{Command, Output};

    /// The CLI with no `ARM_*` variable but `env`.
    fn hk(args: &[&str], env: &[(&str, &str)]) -> Output {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Command::new(env!("CARGO_BIN_EXE_hybridk8s"));
        c.args(args);
        if !matches!(args[0], "check" | "compile") {
            c.arg("--state").arg(dir.path().join("fabric.db"));
        }
        c.current_dir(env!("CARGO_MANIFEST_DIR")).env("NO_COLOR", "1");
        for (k, _) in std::env::vars() {
            if k.starts_with("ARM_") || k == "AZURE_AUTHORITY_HOST" || k == "HYBRIDK8S_BACKEND" {
                c.env_remove(k);
            }
        }
        c.envs(env.iter().copied()).output().unwrap()
    }

    fn stderr(o: &Output) -> String {
        String::from_utf8_lossy(&o.stderr).into_owned()
    }

    #[test]
    fn backend_azure_says_which_variables_to_set() {
        let out = hk(&["plan", "examples/hybrid.hk", "--backend", "azure"], &[]);
        assert_eq!(out.status.code(), Some(1));
        assert!(
            stderr(&out).contains("--backend azure: `subscription_id` (ARM_SUBSCRIPTION_ID) is not set"),
            "{}",
            stderr(&out)
        );

        let out = hk(
            &["apply", "examples/hybrid.hk", "--backend", "azure", "--auto-approve"],
            &[("ARM_SUBSCRIPTION_ID", SUB), ("ARM_USE_CLI", "false")],
        );
        assert_eq!(out.status.code(), Some(1));
        let err = stderr(&out);
        assert!(
            err.contains("no Azure credential is configured") && err.contains("ARM_CLIENT_SECRET"),
            "{err}"
        );

        let out = hk(
            &["destroy", "examples/hybrid.hk", "--auto-approve"],
            &[
                ("HYBRIDK8S_BACKEND", "azure"),
                ("ARM_SUBSCRIPTION_ID", SUB),
                ("ARM_CLIENT_ID", CLIENT),
                ("ARM_CLIENT_SECRET", SECRET),
            ],
        );
        assert_eq!(out.status.code(), Some(1));
        let err = stderr(&out);
        assert!(err.contains("`tenant_id` (ARM_TENANT_ID) is not set"), "{err}");
        assert!(!err.contains(SECRET), "{err}");
    }

    #[test]
    fn the_subscription_of_every_id_is_arm_subscription_id() {
        let out = hk(&["compile", "examples/hybrid.hk"], &[("ARM_SUBSCRIPTION_ID", SUB)]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let graph = String::from_utf8_lossy(&out.stdout);
        assert!(
            graph.contains(&format!("/subscriptions/{SUB}/resourceGroups/net-rg/")),
            "{graph}"
        );
        assert!(!graph.contains("/subscriptions/00000000-"), "{graph}");

        for args in [
            &["check", "examples/hybrid.hk"][..],
            &["plan", "examples/hybrid.hk"][..],
        ] {
            let out = hk(args, &[("ARM_SUBSCRIPTION_ID", "my-sub")]);
            assert_eq!(out.status.code(), Some(1), "{args:?}");
            assert!(
                stderr(&out).contains("`my-sub` is not a subscription ID"),
                "{}",
                stderr(&out)
            );
        }
    }
}

mod provider {
    use super::SUB;
    use hybridk8s::graph::Value;
    use hybridk8s::provider::cty::{encode_msgpack, CtyType};
    use hybridk8s::provider::schema::provider_schema;
    use hybridk8s::provider::testing::tfplugin5 as pb;
    use hybridk8s::provider::{default_factory, ProviderService};
    use pb::provider_server::Provider;

    async fn configure(pairs: &[(&str, &str)]) -> Vec<pb::Diagnostic> {
        let ty = CtyType::of_schema(provider_schema());
        let attrs = provider_schema()
            .attrs
            .iter()
            .map(|a| {
                let v = pairs
                    .iter()
                    .find(|(k, _)| *k == a.name)
                    .map_or(Value::Null, |(_, v)| Value::str(*v));
                (a.name.to_string(), v)
            })
            .collect();
        let config = pb::DynamicValue {
            msgpack: encode_msgpack(&Value::Map(attrs), &ty).unwrap(),
            json: vec![],
        };
        let service = ProviderService::new(default_factory());
        service
            .configure(tonic::Request::new(pb::configure::Request {
                terraform_version: "1.11.4".into(),
                config: Some(config),
            }))
            .await
            .unwrap()
            .into_inner()
            .diagnostics
    }

    fn path(d: &pb::Diagnostic) -> Vec<String> {
        use pb::attribute_path::step::Selector;
        d.attribute
            .iter()
            .flat_map(|p| &p.steps)
            .filter_map(|s| match &s.selector {
                Some(Selector::AttributeName(a)) => Some(a.clone()),
                _ => None,
            })
            .collect()
    }

    /// Attributes beat the environment, so these hold whatever the
    /// process environment says.
    #[tokio::test]
    async fn configure_reports_wrong_settings_at_their_attribute() {
        let cases: &[(super::Env, &str, &str)] = &[
            (
                &[("backend", "azure"), ("subscription_id", "nope")],
                "subscription_id",
                "is not a subscription ID",
            ),
            (
                &[("backend", "local"), ("subscription_id", "nope")],
                "subscription_id",
                "is not a subscription ID",
            ),
            (
                &[
                    ("backend", "azure"),
                    ("subscription_id", SUB),
                    ("tenant_id", "a/b"),
                    ("client_secret", "shh-secret"),
                ],
                "tenant_id",
                "is not a tenant or client ID",
            ),
            (
                &[("backend", "azure"), ("subscription_id", SUB), ("environment", "mars")],
                "environment",
                "is not an Azure cloud",
            ),
            (
                &[
                    ("backend", "azure"),
                    ("subscription_id", SUB),
                    ("resource_manager_endpoint", "ftp://x"),
                ],
                "resource_manager_endpoint",
                "must start with https:// or http://",
            ),
        ];
        for (pairs, attr, text) in cases {
            let d = configure(pairs).await;
            assert_eq!(d.len(), 1, "{pairs:?}: {d:?}");
            assert_eq!(path(&d[0]), [attr.to_string()], "{pairs:?}");
            assert!(d[0].summary.contains(text), "{}", d[0].summary);
            assert!(!d[0].summary.contains("shh-secret"));
        }
    }

    #[test]
    fn secrets_are_sensitive_in_the_schema() {
        for a in &provider_schema().attrs {
            let secret = matches!(a.name, "client_secret" | "oidc_token");
            assert_eq!(a.sensitive, secret, "{}", a.name);
        }
    }
}
