//! Every way to sign in, through the binary, against the simulated Graph on 127.0.0.1: the browser
//! (the test plays the browser with an HTTP client), the device code, a federated token from a file
//! and from a GitHub-Actions-like OIDC endpoint, managed identity (App Service's endpoint and the
//! instance metadata service), each with its failure answers; the permission messages of a 403; and
//! after every run, no secret the server issued or received (tokens, codes, refresh tokens, device
//! codes, verifiers, assertions, identity headers) in standard output, standard error (`-vv`), the
//! reports or the snapshot.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use intune_reach::sim::generator::generate;
use intune_reach::sim::server::{start, RunningServer, ServerOptions, SignInOptions};

use crate::harness::{bin, AS_OF, CREDENTIAL_VARIABLES};

/// A simulated tenant of 60 devices with these sign-in answers.
struct Sim {
    server: Option<RunningServer>,
    runtime: tokio::runtime::Runtime,
}

impl Sim {
    fn new(sign_in: SignInOptions) -> Sim {
        Sim::with(ServerOptions { sign_in, ..ServerOptions::default() })
    }

    fn with(options: ServerOptions) -> Sim {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let as_of = chrono::DateTime::parse_from_rfc3339(AS_OF).unwrap().with_timezone(&chrono::Utc);
        let tenant = Arc::new(generate(60, 3, as_of));
        let options = ServerOptions { max_seconds: Some(120), ..options };
        let server = runtime.block_on(start(tenant, options, 0)).expect("simulated Graph starts");
        Sim { server: Some(server), runtime }
    }

    fn server(&self) -> &RunningServer {
        self.server.as_ref().expect("running")
    }

    fn url(&self) -> &str {
        &self.server().url
    }

    /// The Graph and sign-in options for this server (no credential).
    fn args(&self) -> Vec<String> {
        let url = self.url().to_owned();
        [
            "--graph-url",
            &url,
            "--login-url",
            &url,
            "--tenant-id",
            &self.server().tenant_id,
            "--client-id",
            "intune-reach-sim",
        ]
        .map(str::to_owned)
        .to_vec()
    }

    /// `audit ARGS -vv` against this server, with these variables.
    fn audit(&self, args: &[&str], env: &[(&str, &str)]) -> Outcome {
        let out = tempfile::tempdir().unwrap();
        let output = bin()
            .arg("audit")
            .args(self.args())
            .args(args)
            .args(["-vv", "--as-of", AS_OF, "--out"])
            .arg(out.path())
            .envs(env.iter().copied())
            .timeout(Duration::from_secs(120))
            .output()
            .unwrap();
        let outcome = Outcome {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            out,
        };
        self.assert_no_secret_in(&outcome);
        outcome
    }

    /// No secret the server issued or received appears in the outputs or the files written.
    fn assert_no_secret_in(&self, outcome: &Outcome) {
        let secrets = self.server().secrets();
        assert!(!secrets.is_empty() || outcome.code != 0, "a successful run signs in");
        let mut texts =
            vec![("stdout".to_owned(), outcome.stdout.clone()), ("stderr".to_owned(), outcome.stderr.clone())];
        texts.extend(files_under(outcome.out.path()));
        for (name, text) in &texts {
            for secret in &secrets {
                assert!(!text.contains(secret.as_str()), "a secret ({} chars) leaked into {name}", secret.len());
            }
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.shutdown());
        }
    }
}

struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
    out: tempfile::TempDir,
}

impl Outcome {
    fn assert_exit(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "stdout: {}\nstderr: {}", self.stdout, self.stderr);
        self
    }

    fn assert_stderr_has(&self, needles: &[&str]) -> &Self {
        for needle in needles {
            assert!(self.stderr.contains(needle), "stderr lacks {needle:?}:\n{}", self.stderr);
        }
        self
    }
}

/// Every file under `dir`, as text.
fn files_under(dir: &Path) -> Vec<(String, String)> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push((
                path.display().to_string(),
                String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned(),
            ));
        }
    }
    files
}

fn fast_device_code() -> SignInOptions {
    SignInOptions { device_code_interval_secs: 0, device_code_pending: 2, ..SignInOptions::default() }
}

/// An unsigned JWT-shaped federated token with these claims.
fn federated_token(claims: serde_json::Value) -> String {
    let part = |v: &serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    format!("{}.{}.c2lnbmF0dXJlLWNhbmFyeQ", part(&serde_json::json!({"alg": "RS256", "kid": "k"})), part(&claims))
}

fn kubernetes_claims(exp_in: i64) -> serde_json::Value {
    let now = chrono::Utc::now().timestamp();
    serde_json::json!({
        "aud": ["api://AzureADTokenExchange"], "iss": "https://oidc.cluster.example/", "exp": now + exp_in,
        "sub": "system:serviceaccount:audit:intune-reach", "iat": now
    })
}

#[test]
fn device_code_signs_in_after_pending_and_slow_down_and_says_what_to_do() {
    let sim = Sim::new(SignInOptions { device_code_slow_downs: 1, ..fast_device_code() });
    let outcome = sim.audit(&["--device-code"], &[]);
    outcome.assert_exit(0).assert_stderr_has(&["/devicelogin and enter the code"]);
    assert!(outcome.stdout.contains("Reports:"), "{}", outcome.stdout);
    assert_eq!(outcome.stderr.matches("enter the code").count(), 1, "one prompt");
}

#[test]
fn device_code_stops_on_decline_expiry_and_conditional_access_with_exit_3() {
    let declined = Sim::new(SignInOptions { decline: true, ..fast_device_code() });
    declined.audit(&["--device-code"], &[]).assert_exit(3).assert_stderr_has(&["authorization_declined", "declined"]);

    let expired = Sim::new(SignInOptions {
        device_code_pending: 1000,
        device_code_interval_secs: 1,
        device_code_lifetime_secs: 2,
        ..SignInOptions::default()
    });
    expired.audit(&["--device-code"], &[]).assert_exit(3).assert_stderr_has(&["expired", "run the command again"]);

    let blocked = Sim::new(SignInOptions { block_device_code: true, ..fast_device_code() });
    blocked.audit(&["--device-code"], &[]).assert_exit(3).assert_stderr_has(&[
        "AADSTS53003",
        "Conditional Access",
        "--interactive",
    ]);
}

#[test]
fn a_refresh_token_renews_a_delegated_token_in_memory() {
    let sim = Sim::with(ServerOptions {
        token_lifetime_secs: 1,
        latency_ms: 300,
        sign_in: fast_device_code(),
        ..ServerOptions::default()
    });
    let outcome = sim.audit(&["--device-code", "--apps-via", "per-device", "--max-concurrency", "1"], &[]);
    outcome.assert_exit(0);
    let refresh_tokens = sim.server().secrets().iter().filter(|s| s.starts_with("sim-refresh-")).count();
    assert!(refresh_tokens >= 2, "the refresh token was used and rotated ({refresh_tokens} issued)");
    assert_eq!(outcome.stderr.matches("enter the code").count(), 1, "renewals never ask the person again");
}

/// Runs `audit --interactive` and plays the browser: reads the URL from standard error, asks the
/// authorize endpoint (without following its redirect), lets `tamper` change where it points, and
/// follows it to the loopback listener. Returns the outcome and the loopback page's status.
fn interactive(sim: &Sim, args: &[&str], tamper: impl FnOnce(String) -> String) -> (Outcome, Option<u16>) {
    let out = tempfile::tempdir().unwrap();
    let mut command = Command::new(assert_cmd::cargo::cargo_bin("intune-reach"));
    for var in CREDENTIAL_VARIABLES {
        command.env_remove(var);
    }
    let mut child = command
        .arg("audit")
        .args(sim.args())
        .args(args)
        .args(["--interactive", "-vv", "--as-of", AS_OF, "--out"])
        .arg(out.path())
        .env("BROWSER", "")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = Arc::new(Mutex::new(String::new()));
    let (url_sender, url_receiver) = std::sync::mpsc::channel();
    let reader = {
        let (pipe, stderr) = (child.stderr.take().unwrap(), stderr.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if let Some(url) = line.trim().strip_prefix("http").filter(|l| l.contains("/oauth2/v2.0/authorize?")) {
                    let _ = url_sender.send(format!("http{url}"));
                }
                let mut text = stderr.lock().unwrap();
                text.push_str(&line);
                text.push('\n');
            }
        })
    };
    let page_status = url_receiver.recv_timeout(Duration::from_secs(60)).ok().and_then(|url| {
        sim.runtime.block_on(async {
            let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
            let authorize = http.get(&url).send().await.ok()?;
            let location = authorize.headers().get("location")?.to_str().ok()?.to_owned();
            let reply = http.get(tamper(location)).send().await.ok()?;
            Some(reply.status().as_u16())
        })
    });
    let stdout = std::io::read_to_string(child.stdout.take().unwrap()).unwrap();
    let status = child.wait().unwrap();
    reader.join().unwrap();
    let stderr = stderr.lock().unwrap().clone();
    let outcome = Outcome { code: status.code().unwrap_or(-1), stdout, stderr, out };
    sim.assert_no_secret_in(&outcome);
    (outcome, page_status)
}

#[test]
fn interactive_sign_in_through_the_loopback_reads_the_tenant() {
    let sim = Sim::new(SignInOptions::default());
    let (outcome, page) = interactive(&sim, &[], |location| location);
    outcome.assert_exit(0).assert_stderr_has(&["open this URL", "code_challenge_method=S256"]);
    assert_eq!(page, Some(200));
    assert!(outcome.out.path().join("devices.csv").exists());
}

#[test]
fn interactive_sign_in_refuses_a_wrong_state_and_reports_a_decline() {
    let sim = Sim::new(SignInOptions::default());
    let (outcome, page) = interactive(&sim, &[], |location| {
        let (base, query) = location.split_once('?').unwrap();
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.to_string(), if k == "state" { "forged".to_owned() } else { v.into_owned() }))
            .collect();
        format!("{base}?{}", url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish())
    });
    assert_eq!(page, Some(400));
    outcome.assert_exit(3).assert_stderr_has(&["state this sign-in did not send"]);

    let declined = Sim::new(SignInOptions { decline: true, ..SignInOptions::default() });
    let (outcome, _) = interactive(&declined, &[], |location| location);
    outcome.assert_exit(3).assert_stderr_has(&["access_denied", "AADSTS65004", "declined"]);
}

#[test]
fn the_demo_signs_in_interactively_on_one_machine() {
    let out = tempfile::tempdir().unwrap();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("intune-reach"))
        .args(["audit", "--demo", "--devices", "150", "--interactive", "-q", "--out"])
        .arg(out.path())
        .env("BROWSER", "")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines().map_while(Result::ok);
    let url = lines.find(|l| l.contains("/oauth2/v2.0/authorize?")).expect("the URL is printed").trim().to_owned();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (page, code) = runtime.block_on(async {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let location = http.get(&url).send().await.unwrap().headers()["location"].to_str().unwrap().to_owned();
        let code = url::Url::parse(&location).unwrap().query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
        (http.get(&location).send().await.unwrap().text().await.unwrap(), code)
    });
    assert!(page.contains("You can close this window"), "{page}");
    let rest: Vec<String> = lines.collect();
    assert!(child.wait().unwrap().success(), "{rest:?}");
    assert!(out.path().join("users.csv").exists());
    assert!(!rest.iter().any(|l| l.contains(&code)), "the code leaked");
}

#[test]
fn a_federated_token_file_is_the_client_assertion_and_an_expired_one_is_refused() {
    let sim = Sim::new(SignInOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    let token = federated_token(kubernetes_claims(600));
    std::fs::write(&file, &token).unwrap();
    let file_var = file.to_str().unwrap();
    let outcome = sim.audit(&[], &[("AZURE_FEDERATED_TOKEN_FILE", file_var)]);
    outcome.assert_exit(0);
    assert!(sim.server().secrets().contains(&token), "the file's token was the assertion");
    // fetch too: the snapshot holds no secret.
    let snapshot = dir.path().join("snapshot.json");
    let fetched = bin()
        .args(["fetch", "--out", snapshot.to_str().unwrap()])
        .args(sim.args())
        .env("AZURE_FEDERATED_TOKEN_FILE", file_var)
        .output()
        .unwrap();
    assert!(fetched.status.success(), "{}", String::from_utf8_lossy(&fetched.stderr));
    let text = std::fs::read_to_string(&snapshot).unwrap();
    assert!(sim.server().secrets().iter().all(|secret| !text.contains(secret.as_str())), "a secret in the snapshot");

    std::fs::write(&file, federated_token(kubernetes_claims(-60))).unwrap();
    sim.audit(&[], &[("AZURE_FEDERATED_TOKEN_FILE", file_var)])
        .assert_exit(3)
        .assert_stderr_has(&["AADSTS700024", "federated token from"]);
}

#[test]
fn github_actions_oidc_signs_in_without_a_secret() {
    let sim = Sim::new(SignInOptions {
        federated_issuer: Some("https://token.actions.githubusercontent.com".into()),
        federated_subject: Some("repo:contoso/intune-audit:ref:refs/heads/main".into()),
        ..SignInOptions::default()
    });
    let request_url = format!("{}/github-oidc/token?api-version=2.0", sim.url());
    let good = [
        ("ACTIONS_ID_TOKEN_REQUEST_URL", request_url.as_str()),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "sim-oidc-request-token"),
    ];
    sim.audit(&[], &good).assert_exit(0);
    let wrong =
        [("ACTIONS_ID_TOKEN_REQUEST_URL", request_url.as_str()), ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "not-the-token")];
    sim.audit(&[], &wrong).assert_exit(3).assert_stderr_has(&["HTTP 401", "id-token: write"]);
    let missing = [("ACTIONS_ID_TOKEN_REQUEST_URL", request_url.as_str())];
    sim.audit(&[], &missing).assert_exit(2).assert_stderr_has(&["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]);

    let stale = Sim::new(SignInOptions { oidc_token_lifetime_secs: -30, ..SignInOptions::default() });
    let request_url = format!("{}/github-oidc/token?api-version=2.0", stale.url());
    let env = [
        ("ACTIONS_ID_TOKEN_REQUEST_URL", request_url.as_str()),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "sim-oidc-request-token"),
    ];
    stale.audit(&[], &env).assert_exit(3).assert_stderr_has(&["AADSTS700024"]);
}

#[test]
fn managed_identity_through_app_service_and_the_metadata_service() {
    let sim = Sim::new(SignInOptions::default());
    let endpoint = format!("{}/msi/token", sim.url());
    let app_service = [("IDENTITY_ENDPOINT", endpoint.as_str()), ("IDENTITY_HEADER", "sim-identity-header")];
    sim.audit(&["--managed-identity"], &app_service).assert_exit(0);
    sim.audit(&["--managed-identity", "--managed-identity-client-id", "uami-1"], &app_service).assert_exit(0);
    let wrong = [("IDENTITY_ENDPOINT", endpoint.as_str()), ("IDENTITY_HEADER", "wrong-header")];
    sim.audit(&["--managed-identity"], &wrong).assert_exit(3).assert_stderr_has(&[
        "HTTP 401",
        "X-IDENTITY-HEADER",
        "system-assigned managed identity",
    ]);

    let imds = format!("{}/metadata/identity/oauth2/token", sim.url());
    sim.audit(&["--managed-identity"], &[("INTUNE_REACH_IMDS_URL", imds.as_str())]).assert_exit(0);
    let elsewhere = [("INTUNE_REACH_IMDS_URL", "http://169.254.169.254/metadata/identity/oauth2/token")];
    sim.audit(&["--managed-identity"], &elsewhere).assert_exit(2).assert_stderr_has(&["loopback"]);
}

#[test]
fn a_403_names_the_permission_the_token_lacks_or_the_admins_intune_role() {
    let no_groups = Sim::new(SignInOptions {
        app_roles: vec!["DeviceManagementManagedDevices.Read.All".into()],
        ..SignInOptions::default()
    });
    let group = "00000000-0000-0000-0000-000000000001";
    no_groups.audit(&["--group", group], &[("AZURE_CLIENT_SECRET", "sim-secret")]).assert_exit(3).assert_stderr_has(&[
        "HTTP 403",
        "the token lacks GroupMember.Read.All",
        "DeviceManagementManagedDevices.Read.All",
    ]);

    let no_role = Sim::new(SignInOptions { intune_role_missing: true, ..fast_device_code() });
    no_role.audit(&["--device-code"], &[]).assert_exit(3).assert_stderr_has(&[
        "HTTP 403",
        "Intune role",
        "DeviceManagementManagedDevices.Read.All",
    ]);
}

#[test]
fn permissions_lists_every_feature_as_a_table_and_as_json() {
    let table = bin().arg("permissions").output().unwrap();
    assert!(table.status.success());
    let table = String::from_utf8(table.stdout).unwrap();
    for needle in [
        "DeviceManagementManagedDevices.Read.All",
        "GroupMember.Read.All",
        "DeviceManagementServiceConfig.Read.All",
        "DeviceManagementConfiguration.Read.All",
        "DeviceManagementServiceConfig.ReadWrite.All",
        "--devices-via export",
        "offline_access",
    ] {
        assert!(table.contains(needle), "{needle} missing:\n{table}");
    }
    let json = bin().args(["permissions", "--format", "json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let features: Vec<&str> =
        json["features"].as_array().unwrap().iter().map(|f| f["feature"].as_str().unwrap()).collect();
    assert_eq!(features, ["audit", "--group", "tenant checks", "tenant checks", "--devices-via export", "send"]);
    assert_eq!(json["delegated_sign_in_scopes"].as_array().unwrap().last().unwrap(), "offline_access");
}
