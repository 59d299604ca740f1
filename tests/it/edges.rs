//! The edges of a run: Ctrl-C, an output folder that cannot be written, a reader that goes away, and
//! the generated helpers (completions, manual pages).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::harness::{audit, bin, fixture, temp_file, AS_OF};

fn small() -> String {
    fixture("tenant-small.json").display().to_string()
}

fn entries(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default()
}

#[test]
fn an_output_folder_that_cannot_be_created_exits_2_naming_it() {
    let (_dir, file) = temp_file("not-a-folder.txt", b"x");
    let out = file.join("reports");
    let output = bin().args(["audit", "--snapshot", &small(), "--as-of", AS_OF, "--out"]).arg(&out).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&out.display().to_string()), "{stderr}");
}

#[test]
fn a_reader_that_goes_away_is_not_an_error() {
    let out = tempfile::tempdir().unwrap();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("intune-reach"))
        .args(["audit", "--snapshot", &small(), "--as-of", AS_OF, "--out"])
        .arg(out.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // `| head` that has already stopped reading
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8_lossy(&output.stderr), "", "nothing is said about the closed pipe");
    assert!(out.path().join("devices.csv").exists(), "the reports are written all the same");
}

#[test]
fn completions_and_manual_pages_come_from_the_command_line_definition() {
    let output = bin().args(["completions", "bash"]).output().unwrap();
    assert!(output.status.success());
    let script = String::from_utf8(output.stdout).unwrap();
    assert!(script.contains("intune-reach") && script.contains("--fail-under"), "{script}");

    let dir = tempfile::tempdir().unwrap();
    let output = bin().args(["man", "--out"]).arg(dir.path()).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let mut pages = entries(dir.path());
    pages.sort();
    for page in ["intune-reach.1", "intune-reach-audit.1", "intune-reach-sim-serve.1"] {
        assert!(pages.iter().any(|p| p == page), "{page} in {pages:?}");
    }
    let audit_page = std::fs::read_to_string(dir.path().join("intune-reach-audit.1")).unwrap();
    assert!(audit_page.starts_with(".ie") || audit_page.contains(".TH"), "roff: {audit_page:.200}");
    assert!(audit_page.contains("fail\\-under"), "the options are in the page");
}

#[test]
fn an_unknown_argument_is_a_usage_error() {
    assert_eq!(audit(&["--no-such-flag"]).code, 2);
}

/// `intune-reach sim serve` with slow answers, and what a client needs to reach it.
struct SlowGraph {
    child: Child,
    url: String,
    tenant: String,
}

impl SlowGraph {
    fn start() -> SlowGraph {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("intune-reach"))
            .args(["sim", "serve", "--devices", "300", "--latency-ms", "2000", "--max-seconds", "60"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let (mut url, mut tenant) = (String::new(), String::new());
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some(rest) = line.strip_prefix("simulated Graph listening on ") {
                url = rest.trim().to_owned();
            }
            if let Some(rest) = line.trim().strip_prefix("AZURE_TENANT_ID=") {
                tenant = rest.to_owned();
                break;
            }
        }
        assert!(!url.is_empty() && !tenant.is_empty(), "the simulator printed its URL and tenant");
        SlowGraph { child, url, tenant }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("intune-reach"));
        cmd.args(args)
            .args(["--graph-url", &self.url, "--login-url", &self.url])
            .env("AZURE_TENANT_ID", &self.tenant)
            .env("AZURE_CLIENT_ID", "intune-reach-sim")
            .env("AZURE_CLIENT_SECRET", "sim-secret")
            .env_remove("GRAPH_ACCESS_TOKEN")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        cmd
    }
}

impl Drop for SlowGraph {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends SIGINT (what Ctrl-C sends) once the run is well under way, and returns its exit code.
#[cfg(unix)]
fn interrupt_after(mut child: Child, wait: Duration) -> Option<i32> {
    std::thread::sleep(wait);
    if child.try_wait().unwrap().is_some() {
        let output = child.wait_with_output().unwrap();
        panic!("finished before the interrupt: {:?} {}", output.status, String::from_utf8_lossy(&output.stderr));
    }
    let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    child.wait().unwrap().code()
}

#[cfg(unix)]
#[test]
fn ctrl_c_during_an_audit_or_a_fetch_leaves_nothing_and_exits_130() {
    let graph = SlowGraph::start();
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().display().to_string();
    let child = graph.command(&["audit", "--as-of", AS_OF, "--out", &out_dir]).spawn().unwrap();
    assert_eq!(interrupt_after(child, Duration::from_millis(2500)), Some(130));
    assert_eq!(entries(out.path()), Vec::<String>::new(), "no report and no temporary file");

    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("tenant.json");
    let snapshot = snapshot.display().to_string();
    let child = graph.command(&["fetch", "--out", &snapshot]).spawn().unwrap();
    assert_eq!(interrupt_after(child, Duration::from_millis(2500)), Some(130));
    assert_eq!(entries(dir.path()), Vec::<String>::new(), "no snapshot and no temporary file");
}
