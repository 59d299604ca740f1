//! The pipeline's direction, checked: data flows source -> inventory -> rules -> audit -> report, so
//! `src/inventory/` imports none of the modules after or beside it, and `src/rules/` only the
//! inventory (and its own settings).

use std::path::Path;

/// The `crate::` modules that the files below `dir` use.
fn imports_of(dir: &str) -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir);
    let mut found = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for (i, _) in text.match_indices("crate::") {
                let module: String =
                    text[i + 7..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                found.push((path.display().to_string(), module));
            }
        }
    }
    found
}

fn assert_imports_none_of(dir: &str, forbidden: &[&str]) {
    let offenders: Vec<String> = imports_of(dir)
        .into_iter()
        .filter(|(_, module)| forbidden.contains(&module.as_str()))
        .map(|(file, module)| format!("{file} uses crate::{module}"))
        .collect();
    assert!(offenders.is_empty(), "the pipeline runs one way:\n{}", offenders.join("\n"));
}

#[test]
fn inventory_imports_nothing_downstream_or_beside_it() {
    assert_imports_none_of("inventory", &["source", "sim", "report", "app", "rules", "audit", "cli", "config"]);
}

#[test]
fn rules_import_only_the_inventory() {
    assert_imports_none_of("rules", &["source", "sim", "report", "app", "audit", "cli", "config"]);
}

#[test]
fn the_check_sees_imports() {
    // The check would pass vacuously if it found nothing: the rules do use the inventory.
    assert!(imports_of("rules").iter().any(|(_, module)| module == "inventory"));
}
