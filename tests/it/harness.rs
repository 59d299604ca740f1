//! A small harness: run the binary in a temporary folder and read what it wrote.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub const AS_OF: &str = "2026-11-26T00:00:00Z";

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// The variables that choose a credential: a test starts without any of them.
pub const CREDENTIAL_VARIABLES: [&str; 11] = [
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "GRAPH_ACCESS_TOKEN",
    "AZURE_FEDERATED_TOKEN_FILE",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "INTUNE_REACH_IMDS_URL",
];

pub fn bin() -> Command {
    let mut cmd = Command::cargo_bin("intune-reach").expect("binary built");
    // Never let a developer's real tenant settings leak into a test, and never open a browser.
    for var in CREDENTIAL_VARIABLES {
        cmd.env_remove(var);
    }
    cmd.env("BROWSER", "");
    cmd
}

/// The output of one run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub out: tempfile::TempDir,
}

impl Run {
    pub fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.out.path().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    pub fn exists(&self, name: &str) -> bool {
        self.out.path().join(name).exists()
    }

    pub fn summary(&self) -> serde_json::Value {
        serde_json::from_str(&self.file("summary.json")).expect("summary.json is JSON")
    }

    /// Rows of a CSV report as maps from column to cell.
    pub fn rows(&self, name: &str) -> Vec<std::collections::BTreeMap<String, String>> {
        let mut reader = csv::Reader::from_path(self.out.path().join(name)).expect("csv");
        let headers = reader.headers().expect("header").clone();
        reader
            .records()
            .map(|r| headers.iter().map(str::to_owned).zip(r.expect("row").iter().map(str::to_owned)).collect())
            .collect()
    }
}

/// Runs `intune-reach audit ARGS --out TMP --as-of AS_OF`.
pub fn audit(args: &[&str]) -> Run {
    let out = tempfile::tempdir().expect("tempdir");
    let output = bin()
        .arg("audit")
        .args(args)
        .arg("--out")
        .arg(out.path())
        .args(["--as-of", AS_OF])
        .output()
        .expect("run intune-reach");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        out,
    }
}

/// Writes `text` to a temporary file with the given name and returns its folder (kept alive by the caller).
pub fn temp_file(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write");
    (dir, path)
}
