//! The documentation in the repository: `docs/rules.md` is generated from the rule registry (as
//! cargo-deny does for its codes), and no file points outside the repository.

use std::path::{Path, PathBuf};

use crate::harness::bin;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn docs_rules_md_is_what_the_registry_renders() {
    let output = bin().args(["rules", "--format", "markdown"]).output().unwrap();
    assert!(output.status.success());
    let rendered = String::from_utf8(output.stdout).unwrap();
    let committed = std::fs::read_to_string(root().join("docs/rules.md")).unwrap_or_default();
    assert!(
        committed == rendered,
        "docs/rules.md differs from the rule registry: run `cargo run -- rules --format markdown > docs/rules.md`"
    );
}

/// Every text file the repository keeps (sources, docs, scripts, fixtures' notes).
fn repository_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with('.') && name != ".ci" || name == "target" || name == "bench-data" {
                continue;
            }
            if path.is_dir() {
                walk(&path, out);
            } else if ["rs", "md", "toml", "sh", "yml", "yaml", "html", "snap"]
                .iter()
                .any(|ext| path.extension().is_some_and(|e| e == *ext))
                || name == "run"
            {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(root(), &mut files);
    files
}

#[test]
fn no_file_points_outside_the_repository() {
    let outside = ["../shared", "shared/design", "PREREQUISITES.md", "CONTRACT.md", "GRAPH.md", "ARCHITECTURE.md"];
    let this_file = root().join("tests/it/docs.rs");
    let mut offenders = Vec::new();
    for file in repository_files() {
        if file == this_file {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for needle in outside {
            if text.contains(needle) {
                offenders.push(format!("{} mentions {needle}", file.strip_prefix(root()).unwrap().display()));
            }
        }
    }
    assert!(offenders.is_empty(), "{offenders:#?}");
}

#[test]
fn markdown_links_between_documents_resolve() {
    let mut broken = Vec::new();
    for file in repository_files().into_iter().filter(|f| f.extension().is_some_and(|e| e == "md")) {
        let text = std::fs::read_to_string(&file).unwrap();
        for (i, _) in text.match_indices("](") {
            let rest = &text[i + 2..];
            let Some(end) = rest.find(')') else { continue };
            let target = rest[..end].split('#').next().unwrap_or("");
            if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            if !file.parent().unwrap().join(target).exists() {
                broken.push(format!("{} -> {target}", file.strip_prefix(root()).unwrap().display()));
            }
        }
    }
    assert!(broken.is_empty(), "{broken:#?}");
}
