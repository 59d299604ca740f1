//! `send` against the simulated Graph over HTTP on 127.0.0.1: the dry run sends nothing; a group send
//! is one request with the exact text and groups; device sends reach each ready device once and
//! nothing else; Intune's limits (lengths, groups, the ledger's hourly counts) refuse a send before
//! any request; throttled and unavailable sends arrive once; an answer that never comes is `unknown`,
//! never repeated, and exits 3; a token without the permission sends nothing; concurrent runs share
//! the ledger; and no secret or token appears in any output.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use intune_reach::sim::generator::generate;
use intune_reach::sim::server::{start, RunningServer, SendFaults, ServerOptions, SignInOptions, SimSend, Throttle};
use intune_reach::sim::tenant::SimTenant;
use intune_reach::source::graph::permissions::SEND_PERMISSION;

use crate::harness::{bin, Run, AS_OF};

const SECRET: &str = "canary-S3cret-send-5a6b7c8d";
const PILOT: &str = "Pilot: custom notifications";
const SALES: &str = "Sales";

/// A simulated Graph for one test, with the ledger its runs share.
struct Sim {
    tenant: Arc<SimTenant>,
    server: Option<RunningServer>,
    runtime: tokio::runtime::Runtime,
    ledger: tempfile::TempDir,
}

impl Sim {
    fn new(options: ServerOptions) -> Sim {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let as_of = DateTime::parse_from_rfc3339(AS_OF).unwrap().with_timezone(&Utc);
        let tenant = Arc::new(generate(300, 11, as_of));
        let options = ServerOptions { client_secret: SECRET.to_owned(), max_seconds: Some(300), ..options };
        let server = runtime.block_on(start(tenant.clone(), options, 0)).expect("simulated Graph starts");
        Sim { tenant, server: Some(server), runtime, ledger: tempfile::tempdir().unwrap() }
    }

    fn server(&self) -> &RunningServer {
        self.server.as_ref().expect("running")
    }

    fn group(&self, name: &str) -> String {
        self.tenant.groups.iter().find(|g| g.display_name == name).expect("group").id.clone()
    }

    fn ledger_path(&self) -> PathBuf {
        self.ledger.path().join("ledger.jsonl")
    }

    /// `intune-reach send ARGS` against this server, signed in with the simulator's app, sharing the
    /// test's ledger, writing into a new folder.
    fn command(&self, args: &[&str]) -> (assert_cmd::Command, tempfile::TempDir) {
        let out = tempfile::tempdir().unwrap();
        let mut cmd = bin();
        cmd.arg("send")
            .args(args)
            .args(["--graph-url", &self.server().url, "--login-url", &self.server().url])
            .args(["--as-of", AS_OF, "--out"])
            .arg(out.path())
            .arg("--ledger")
            .arg(self.ledger_path())
            .env("AZURE_TENANT_ID", &self.server().tenant_id)
            .env("AZURE_CLIENT_ID", "intune-reach-sim")
            .env("AZURE_CLIENT_SECRET", SECRET)
            .env("INTUNE_REACH_SEND_TIMEOUT", "2")
            .timeout(std::time::Duration::from_secs(240));
        (cmd, out)
    }

    /// Runs `send ARGS` and checks that no secret of the run appears in what it printed or wrote.
    fn send(&self, args: &[&str]) -> Run {
        let (mut cmd, out) = self.command(args);
        let output = cmd.output().expect("run intune-reach");
        let run = Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            out,
        };
        self.assert_no_secret_in(&run);
        run
    }

    fn assert_no_secret_in(&self, run: &Run) {
        let mut texts = vec![("stdout".to_owned(), run.stdout.clone()), ("stderr".to_owned(), run.stderr.clone())];
        for entry in std::fs::read_dir(run.out.path()).unwrap() {
            let path = entry.unwrap().path();
            texts.push((path.display().to_string(), std::fs::read_to_string(&path).unwrap_or_default()));
        }
        texts.push(("the ledger".to_owned(), std::fs::read_to_string(self.ledger_path()).unwrap_or_default()));
        let mut secrets = self.server().secrets();
        secrets.push(SECRET.to_owned());
        for (name, text) in &texts {
            for secret in &secrets {
                assert!(!text.contains(secret.as_str()), "a secret or token leaked into {name}");
            }
        }
    }

    fn sends(&self) -> Vec<SimSend> {
        self.server().sends()
    }

    /// Ledger lines: `count` sends of `kind` to `target`, made `minutes_ago`, for this tenant.
    fn prefill_ledger(&self, kind: &str, target: &str, count: usize, minutes_ago: i64) {
        let time = Utc::now() - chrono::Duration::minutes(minutes_ago);
        let mut text = std::fs::read_to_string(self.ledger_path()).unwrap_or_default();
        for i in 0..count {
            let line = serde_json::json!({
                "id": format!("prefilled-{kind}-{i}"), "time": time, "tenant": self.server().tenant_id,
                "kind": kind, "targets": [target], "status": "sent", "notification": "sha256:0000000000000000",
            });
            text.push_str(&format!("{line}\n"));
        }
        std::fs::write(self.ledger_path(), text).unwrap();
    }

    /// The ledger's lines as (kind, status), in order.
    fn ledger_lines(&self) -> Vec<(String, String)> {
        let text = std::fs::read_to_string(self.ledger_path()).unwrap_or_default();
        text.lines()
            .map(|line| {
                let entry: serde_json::Value = serde_json::from_str(line).expect("a ledger line is JSON");
                (entry["kind"].as_str().unwrap().to_owned(), entry["status"].as_str().unwrap().to_owned())
            })
            .collect()
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.shutdown());
        }
    }
}

/// The device ids of the device sends the simulator accepted, with how often each was sent.
fn device_sends(sends: &[SimSend]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for send in sends.iter().filter(|s| s.kind == "device") {
        assert_eq!(send.targets.len(), 1);
        *counts.entry(send.targets[0].clone()).or_default() += 1;
    }
    counts
}

/// The ids of the devices in `devices.csv` whose verdict is one of `verdicts`.
fn devices_with(run: &Run, verdicts: &[&str]) -> BTreeSet<String> {
    run.rows("devices.csv")
        .into_iter()
        .filter(|row| verdicts.contains(&row["verdict"].as_str()))
        .map(|row| row["device_id"].clone())
        .collect()
}

fn once_each(ids: &BTreeSet<String>) -> BTreeMap<String, usize> {
    ids.iter().map(|id| (id.clone(), 1)).collect()
}

/// The `status` column of `send-report.csv`.
fn statuses(run: &Run) -> Vec<String> {
    run.rows("send-report.csv").into_iter().map(|row| row["status"].clone()).collect()
}

#[test]
fn a_dry_run_audits_writes_the_plan_and_sends_nothing() {
    let sim = Sim::new(ServerOptions::default());
    let run =
        sim.send(&["--title", "Office closed", "--body", "The office is closed today.", "--group", &sim.group(PILOT)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(sim.sends().is_empty() && sim.server().stats().send_requests == 0, "a dry run sends nothing");
    assert!(!sim.ledger_path().exists(), "a dry run writes nothing to the ledger");
    assert!(!run.exists("send-report.csv"));
    for report in ["devices.csv", "users.csv", "summary.json", "report.html", "send-plan.csv"] {
        assert!(run.exists(report), "{report} is written");
    }

    // The answer is the audit's, and the audit's reports are written beside the plan.
    let users = run.rows("users.csv");
    let count = |verdict: &str| users.iter().filter(|u| u["verdict"] == verdict).count();
    let answer = format!(
        "{} of {} users can receive it; {} at risk; {} cannot.",
        count("ready"),
        users.len(),
        count("at-risk"),
        count("unreachable")
    );
    assert!(run.stdout.contains(&answer), "{answer} in:\n{}", run.stdout);
    assert!(count("ready") > 0 && count("unreachable") > 0, "the pilot group has every outcome");
    assert!(run.stdout.contains("Dry run: nothing was sent"), "{}", run.stdout);
    assert!(run.stdout.contains("invisible to it"), "the ledger says what it cannot see: {}", run.stdout);
    assert!(run.stdout.contains(&format!("the token grants {SEND_PERMISSION}")), "{}", run.stdout);

    // One plan row per targeted user's device, and one empty-device row per user without any.
    let plan = run.rows("send-plan.csv");
    let header: Vec<String> = csv::Reader::from_path(run.out.path().join("send-plan.csv"))
        .unwrap()
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header, ["recipient", "device_id", "device_name", "verdict", "planned", "why"]);
    let planned_devices: BTreeSet<(String, String)> = plan
        .iter()
        .filter(|row| !row["device_id"].is_empty())
        .map(|row| (row["recipient"].clone(), row["device_id"].clone()))
        .collect();
    let audited: BTreeSet<(String, String)> =
        run.rows("devices.csv").into_iter().map(|row| (row["recipient"].clone(), row["device_id"].clone())).collect();
    assert_eq!(planned_devices, audited);
    let deviceless: BTreeSet<String> =
        users.iter().filter(|u| u["devices"] == "0").map(|u| u["recipient"].clone()).collect();
    let empty_rows: BTreeSet<String> =
        plan.iter().filter(|row| row["device_id"].is_empty()).map(|row| row["recipient"].clone()).collect();
    assert!(!deviceless.is_empty());
    assert_eq!(empty_rows, deviceless);
    assert!(plan.iter().all(|row| row["planned"] == "yes" || row["planned"] == "no"));
    // A group send reaches every supported device, whatever its verdict: some unreachable ones too.
    assert!(plan.iter().any(|row| row["planned"] == "yes" && row["verdict"] == "unreachable"));
}

#[test]
fn a_group_send_is_exactly_one_request_with_the_exact_title_body_and_groups() {
    let sim = Sim::new(ServerOptions::default());
    let (sales, pilot) = (sim.group(SALES), sim.group(PILOT));
    let body_dir = tempfile::tempdir().unwrap();
    let body_file = body_dir.path().join("body.txt");
    std::fs::write(&body_file, "Heute ist das Büro zu.\r\nMorgen wieder offen. 🌧\n").unwrap();
    let run = sim.send(&[
        "--title",
        "Büro geschlossen",
        "--body-file",
        body_file.to_str().unwrap(),
        "--group",
        &sales,
        "--group",
        &pilot,
        "--group",
        &sales.to_uppercase(), // the same group again: sent once
        "--yes",
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let sends = sim.sends();
    assert_eq!(sends.len(), 1, "{sends:?}");
    assert_eq!(sim.server().stats().send_requests, 1);
    let send = &sends[0];
    assert_eq!((send.kind.as_str(), &send.targets), ("group", &vec![sales.clone(), pilot.clone()]));
    assert_eq!(send.title, "Büro geschlossen");
    assert_eq!(send.body, "Heute ist das Büro zu.\nMorgen wieder offen. 🌧");

    let report = run.rows("send-report.csv");
    let rows: Vec<(&str, &str, &str, &str)> = report
        .iter()
        .map(|r| (r["target"].as_str(), r["kind"].as_str(), r["status"].as_str(), r["http_status"].as_str()))
        .collect();
    assert_eq!(rows, [(sales.as_str(), "group", "sent", "204"), (pilot.as_str(), "group", "sent", "204")]);
    assert!(report.iter().all(|r| r["request_id"] == send.request_id && !r["time"].is_empty()));
    assert!(run.stdout.contains("Sent 1 of 1 requests"), "{}", run.stdout);
    assert_eq!(sim.ledger_lines(), [("group".to_owned(), "sent".to_owned())]);
}

#[test]
fn device_sends_reach_each_ready_device_once_and_nothing_else() {
    let sim = Sim::new(ServerOptions::default());
    let pilot = sim.group(PILOT);
    let base = ["--title", "Update", "--body", "Please update.", "--group", &pilot, "--to", "ready-devices", "--yes"];
    let run = sim.send(&base);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let ready = devices_with(&run, &["ready"]);
    assert!(ready.len() > 5, "the pilot group has ready devices");
    assert!(!devices_with(&run, &["at-risk"]).is_empty() && !devices_with(&run, &["unreachable"]).is_empty());
    assert_eq!(device_sends(&sim.sends()), once_each(&ready), "once to each ready device, to nothing else");
    assert!(sim.sends().iter().all(|s| s.title == "Update" && s.body == "Please update."));
    let planned: BTreeSet<String> = run
        .rows("send-plan.csv")
        .into_iter()
        .filter(|row| row["planned"] == "yes")
        .map(|row| row["device_id"].clone())
        .collect();
    assert_eq!(planned, ready);
    let report = run.rows("send-report.csv");
    assert_eq!(report.iter().map(|r| r["target"].clone()).collect::<BTreeSet<_>>(), ready);
    assert!(report.iter().all(|r| r["kind"] == "device" && r["status"] == "sent" && r["http_status"] == "204"));
    assert_eq!(sim.ledger_lines().len(), ready.len());

    // --include-at-risk adds the at-risk devices of iOS/iPadOS and Android (Intune refuses the others),
    // still never an unreachable one.
    let before = sim.sends().len();
    let run = sim.send(&[&base[..], &["--include-at-risk"]].concat());
    assert_eq!(run.code, 0, "every send accepted: {}", run.stderr);
    let at_risk_phones: BTreeSet<String> = run
        .rows("devices.csv")
        .into_iter()
        .filter(|row| row["verdict"] == "at-risk" && ["ios", "android"].contains(&row["platform"].as_str()))
        .map(|row| row["device_id"].clone())
        .collect();
    assert!(!at_risk_phones.is_empty());
    let expected: BTreeSet<String> = ready.union(&at_risk_phones).cloned().collect();
    assert_eq!(device_sends(&sim.sends()[before..]), once_each(&expected));
}

#[test]
fn the_26th_group_send_in_an_hour_is_refused_before_any_request() {
    let sim = Sim::new(ServerOptions::default());
    let sales = sim.group(SALES);
    sim.prefill_ledger("group", &sales, 24, 30);
    sim.prefill_ledger("group", &sales, 5, 61); // out of the hour: not counted
    let args = ["--title", "T", "--body", "B", "--group", &sales, "--yes"];
    let run = sim.send(&args);
    assert_eq!(run.code, 0, "the 25th fits: {}", run.stderr);
    assert_eq!(sim.sends().len(), 1);
    assert!(run.stdout.contains("had 24 group sends"), "{}", run.stdout);

    let dry = sim.send(&args[..6]);
    assert_eq!(dry.code, 0);
    assert!(dry.stdout.contains("With --yes this send would be refused now"), "{}", dry.stdout);

    let refused = sim.send(&args);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stderr.contains("25 group sends") && refused.stderr.contains("nothing was sent"));
    assert_eq!(sim.server().stats().send_requests, 1, "refused before any request");
    assert_eq!(statuses(&refused), ["skipped"]);
}

#[test]
fn the_11th_send_to_one_device_in_an_hour_is_refused_before_any_request() {
    let sim = Sim::new(ServerOptions::default());
    let args = ["--title", "T", "--body", "B", "--group", &sim.group(SALES), "--to", "ready-devices"];
    let plan = sim.send(&args);
    let planned: Vec<String> = plan
        .rows("send-plan.csv")
        .into_iter()
        .filter(|row| row["planned"] == "yes")
        .map(|row| row["device_id"].clone())
        .collect();
    assert!(planned.len() > 1, "{planned:?}");
    sim.prefill_ledger("device", &planned[0].to_uppercase(), 9, 10);

    let tenth = sim.send(&[&args[..], &["--yes"]].concat());
    assert_eq!(tenth.code, 0, "the 10th send to a device fits: {}", tenth.stderr);
    assert_eq!(sim.sends().len(), planned.len());

    let eleventh = sim.send(&[&args[..], &["--yes"]].concat());
    assert_eq!(eleventh.code, 2, "{}", eleventh.stderr);
    assert!(eleventh.stderr.contains(&format!("device {}", planned[0])), "{}", eleventh.stderr);
    assert!(eleventh.stderr.contains("10 sends"), "{}", eleventh.stderr);
    assert_eq!(sim.server().stats().send_requests as usize, planned.len(), "no request of the refused run");
    assert!(statuses(&eleventh).iter().all(|s| s == "skipped"));
}

#[test]
fn what_intune_would_refuse_exits_2_before_anything_is_read() {
    let sim = Sim::new(ServerOptions::default());
    let sales = sim.group(SALES);
    let empty_dir = tempfile::tempdir().unwrap();
    let empty_file = empty_dir.path().join("empty.txt");
    std::fs::write(&empty_file, "\n").unwrap();
    let (title_51, body_501) = ("é".repeat(51), "€".repeat(501));
    let many: Vec<String> = (0..26).map(|i| format!("00000000-0000-0000-0000-{i:012}")).collect();
    let mut too_many_groups = vec!["--title", "T", "--body", "B", "--yes"];
    for group in &many {
        too_many_groups.extend(["--group", group.as_str()]);
    }
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--title", &title_51, "--body", "B", "--group", &sales, "--yes"], "--title has 51 characters"),
        (vec!["--title", "T", "--body", &body_501, "--group", &sales, "--yes"], "has 501 characters"),
        (too_many_groups, "26 groups"),
        (vec!["--title", "T", "--body", "", "--group", &sales, "--yes"], "is empty"),
        (vec!["--title", "T", "--body-file", empty_file.to_str().unwrap(), "--group", &sales, "--yes"], "is empty"),
        (vec!["--title", "  ", "--body", "B", "--group", &sales, "--yes"], "--title is empty"),
        (vec!["--title", "T", "--body", "B", "--group", &sales, "--include-at-risk"], "--include-at-risk"),
    ];
    for (args, says) in cases {
        let run = sim.send(&args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{args:?}: {says} in {}", run.stderr);
        assert!(!run.exists("send-plan.csv"));
    }
    assert_eq!(sim.server().stats().requests, 0, "checked before anything is read");

    // Without the tenant id there is no ledger to count in.
    let (mut cmd, _out) = sim.command(&["--title", "T", "--body", "B", "--group", &sales]);
    let output = cmd.env_remove("AZURE_TENANT_ID").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--tenant-id"));

    // The limits count Unicode characters: 50 and 500 of them fit, however many bytes they take.
    let (title_50, body_500) = ("é".repeat(50), "€".repeat(500));
    let run = sim.send(&["--title", &title_50, "--body", &body_500, "--group", &sales, "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let sends = sim.sends();
    assert_eq!(
        (sends.len(), sends[0].title.as_str(), sends[0].body.as_str()),
        (1, title_50.as_str(), body_500.as_str())
    );
}

#[test]
fn throttled_and_unavailable_sends_still_arrive_exactly_once() {
    let faults =
        SendFaults { throttle: Some(Throttle { requests: 3, per_seconds: 0.5 }), error_rate: 0.3, hang_nth: None };
    let sim = Sim::new(ServerOptions { sends: faults, fault_seed: 5, ..Default::default() });
    let run =
        sim.send(&["--title", "T", "--body", "B", "--group", &sim.group(SALES), "--to", "ready-devices", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let stats = sim.server().stats();
    assert!(stats.throttled > 0 && stats.unavailable > 0, "both faults happened: {stats:?}");
    let ready = devices_with(&run, &["ready"]);
    assert_eq!(device_sends(&sim.sends()), once_each(&ready));
    assert!(statuses(&run).iter().all(|s| s == "sent"));
}

#[test]
fn a_send_whose_answer_never_comes_is_unknown_never_repeated_and_exits_3() {
    let faults = SendFaults { hang_nth: Some(2), ..Default::default() };
    let sim = Sim::new(ServerOptions { sends: faults, ..Default::default() });
    let run =
        sim.send(&["--title", "T", "--body", "B", "--group", &sim.group(SALES), "--to", "ready-devices", "--yes"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let sends = sim.sends();
    let hung: Vec<&SimSend> = sends.iter().filter(|s| !s.answered).collect();
    assert_eq!(hung.len(), 1);
    let ready = devices_with(&run, &["ready"]);
    assert_eq!(device_sends(&sends), once_each(&ready), "the hung send was not sent again");

    let report = run.rows("send-report.csv");
    let unknown: Vec<&str> = report.iter().filter(|r| r["status"] == "unknown").map(|r| r["target"].as_str()).collect();
    assert_eq!(unknown, [hung[0].targets[0].as_str()]);
    assert!(report.iter().filter(|r| r["status"] != "unknown").all(|r| r["status"] == "sent"));
    assert!(run.stderr.contains("unknown: device"), "{}", run.stderr);
    let ledger = sim.ledger_lines();
    assert_eq!(ledger.iter().filter(|(_, status)| status == "unknown").count(), 1, "an unknown send still counts");
    assert_eq!(ledger.len(), ready.len());
}

#[test]
fn a_token_without_the_send_permission_sends_nothing() {
    let reading_only: Vec<String> = SignInOptions::default()
        .app_roles
        .into_iter()
        .filter(|role| role != SEND_PERMISSION && !role.ends_with(".ReadWrite.All"))
        .collect();
    let sign_in = SignInOptions { app_roles: reading_only, ..Default::default() };
    let sim = Sim::new(ServerOptions { sign_in, ..Default::default() });
    let args = ["--title", "T", "--body", "B", "--group", &sim.group(SALES)];
    let dry = sim.send(&args);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(dry.stdout.contains(&format!("Permission: the token lacks {SEND_PERMISSION}")), "{}", dry.stdout);

    let run = sim.send(&[&args[..], &["--yes"]].concat());
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("nothing was sent") && run.stderr.contains(SEND_PERMISSION), "{}", run.stderr);
    assert_eq!(sim.server().stats().send_requests, 0, "refused before the first send");
    assert!(sim.ledger_lines().is_empty());
    assert_eq!(statuses(&run), ["skipped"]);
}

#[test]
fn the_gate_stops_the_send_with_nothing_sent() {
    let sim = Sim::new(ServerOptions::default());
    let args = ["--title", "T", "--body", "B", "--group", &sim.group(PILOT), "--fail-under", "99"];
    let dry = sim.send(&args);
    assert_eq!(dry.code, 0, "a dry run exits 0: {}", dry.stderr);
    assert!(dry.stdout.contains("With --yes the gate would stop this send"), "{}", dry.stdout);
    let run = sim.send(&[&args[..], &["--yes"]].concat());
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("below --fail-under 99%"), "{}", run.stderr);
    assert_eq!(sim.server().stats().send_requests, 0);
    assert_eq!(statuses(&run), ["skipped"]);

    let json = sim.send(&[&args[..], &["--yes", "--format", "json"]].concat());
    let summary: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON on stdout");
    assert_eq!((summary["exit_code"].as_i64(), summary["results"]["skipped"].as_u64()), (Some(1), Some(1)));
    assert!(summary["ledger"]["note"].as_str().unwrap().contains("invisible"));

    // --fail-on-regression gates the send too: an earlier audit with laxer rules had more users ready.
    let lax = ["--level", "company-portal=allow", "--level", "portal-version=allow", "--level", "mdm-enrolled=allow"];
    let earlier = sim.send(&[&args[..6], &lax[..]].concat());
    assert_eq!(earlier.code, 0, "{}", earlier.stderr);
    let previous = earlier.out.path().to_str().unwrap();
    let run = sim.send(&[&args[..6], &["--previous", previous, "--fail-on-regression", "--yes"]].concat());
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("(--fail-on-regression): nothing was sent"), "{}", run.stderr);
    assert!(run.exists("changes.csv") && run.exists("report.html"), "the audit's reports, as with audit");
    assert_eq!(sim.server().stats().send_requests, 0);
}

#[test]
fn concurrent_runs_share_the_ledger_and_never_exceed_the_hourly_limit() {
    let sim = Sim::new(ServerOptions::default());
    let sales = sim.group(SALES);
    sim.prefill_ledger("group", &sales, 22, 5);
    let args = ["--title", "T", "--body", "B", "--group", &sales, "--yes"];
    let codes: Vec<i32> = std::thread::scope(|scope| {
        let runs: Vec<_> = (0..5).map(|_| scope.spawn(|| sim.send(&args).code)).collect();
        runs.into_iter().map(|run| run.join().unwrap()).collect()
    });
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(sorted, [0, 0, 0, 2, 2], "3 slots were left in the hour: {codes:?}");
    assert_eq!(sim.sends().len(), 3);
    assert_eq!(sim.ledger_lines().len(), 25);
}

/// Ctrl-C while a send is in flight: new sends stop, the one in flight is waited for (here until the
/// client gives up on it: `unknown`), the report is written and the run exits 130. (A Unix signal;
/// Windows' console events are not sent from a test.)
#[cfg(unix)]
#[test]
fn ctrl_c_stops_new_sends_waits_for_the_one_in_flight_and_writes_the_report() {
    let faults = SendFaults { hang_nth: Some(1), ..Default::default() };
    let sim = Sim::new(ServerOptions { sends: faults, ..Default::default() });
    let out = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("intune-reach"));
    for var in crate::harness::CREDENTIAL_VARIABLES {
        cmd.env_remove(var);
    }
    let server = sim.server();
    let group = sim.group(SALES);
    cmd.args(["send", "--title", "T", "--body", "B", "--group", &group, "--to", "ready-devices", "--yes"])
        .args(["--max-concurrency", "1", "--graph-url", &server.url, "--login-url", &server.url, "--out"])
        .arg(out.path())
        .arg("--ledger")
        .arg(sim.ledger_path())
        .env("AZURE_TENANT_ID", &server.tenant_id)
        .env("AZURE_CLIENT_ID", "intune-reach-sim")
        .env("AZURE_CLIENT_SECRET", SECRET)
        .env("INTUNE_REACH_SEND_TIMEOUT", "3")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    // Wait (polling, up to two minutes) until the first send is in flight: recorded, never answered.
    let mut polls = 0;
    while sim.sends().is_empty() {
        assert!(polls < 1200 && child.try_wait().unwrap().is_none(), "the send never started");
        std::thread::sleep(std::time::Duration::from_millis(100));
        polls += 1;
    }
    let interrupted = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(interrupted.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert_eq!(sim.sends().len(), 1, "no new send after Ctrl-C");
    let report = csv::Reader::from_path(out.path().join("send-report.csv"))
        .unwrap()
        .records()
        .map(|r| r.unwrap().get(2).unwrap().to_owned())
        .collect::<Vec<_>>();
    assert!(report.len() > 1, "{report:?}");
    assert_eq!(report[0], "unknown", "the request in flight was waited for: {report:?}");
    assert!(report[1..].iter().all(|s| s == "skipped"), "{report:?}");
    assert_eq!(
        std::fs::read_to_string(sim.ledger_path()).unwrap().lines().count(),
        1,
        "only the request that may have arrived stays in the ledger"
    );
}

/// `send --demo` sends to its own simulated tenant; without `--ledger` the ledger is in the user's
/// data folder (checked on Linux, where `XDG_DATA_HOME` names it).
#[test]
fn the_demo_sends_to_its_simulated_tenant() {
    let out = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let pilot = "Pilot: custom notifications";
    let demo = generate(300, 42, DateTime::parse_from_rfc3339(AS_OF).unwrap().with_timezone(&Utc));
    let group = demo.groups.iter().find(|g| g.display_name == pilot).unwrap().id.clone();
    let mut cmd = bin();
    cmd.args(["send", "--demo", "--devices", "300", "--title", "T", "--body", "B", "--group", &group, "--yes"])
        .args(["--as-of", AS_OF, "--out"])
        .arg(out.path());
    let ledger: PathBuf = if cfg!(target_os = "linux") {
        cmd.env("XDG_DATA_HOME", data.path());
        data.path().join("intune-reach").join("ledger.jsonl")
    } else {
        let path = data.path().join("ledger.jsonl");
        cmd.arg("--ledger").arg(&path);
        path
    };
    let output = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("Sent 1 of 1 requests"), "{stdout}");
    assert_eq!(std::fs::read_to_string(&ledger).unwrap().lines().count(), 1);
    assert!(Path::new(&out.path().join("send-report.csv")).exists());
}
