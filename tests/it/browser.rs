//! `report.html` in a real browser: headless Chromium opens the demo's report, runs its script, and
//! the rendered page (`--dump-dom`) is checked: the headline numbers are summary.json's, the table
//! holds the users who are not ready, the filter in the address works, and names that look like
//! markup stay text.
//!
//! Chromium is found as `$CHROMIUM`, or `chromium` / `chromium-browser` / `google-chrome` on the
//! PATH (`.ci/run` installs Debian's `chromium`). Without one the test fails, unless
//! `INTUNE_REACH_SKIP_BROWSER=1` says to skip it; in CI (`CI` set) it never skips.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{audit, temp_file, Run};

fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let names = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).flat_map(|dir| names.map(|name| dir.join(name))).find(|p| p.is_file())
}

/// The browser, or `None` when the test may be skipped (said on standard error).
fn browser_or_skip() -> Option<PathBuf> {
    if let Some(path) = chromium() {
        return Some(path);
    }
    let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
    let skip = std::env::var("INTUNE_REACH_SKIP_BROWSER").is_ok_and(|v| v == "1");
    if skip && !in_ci {
        eprintln!("report.html browser test SKIPPED: no Chromium and INTUNE_REACH_SKIP_BROWSER=1");
        return None;
    }
    panic!(
        "the report.html browser test needs Chromium: install it (Debian: `apt-get install -y chromium`), \
         point $CHROMIUM at it, or set INTUNE_REACH_SKIP_BROWSER=1 to skip this test outside CI"
    );
}

/// Opens `url` headless, lets its scripts run, and returns the page's DOM as HTML.
fn dump_dom(browser: &Path, url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=5000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut out).map(|_| out)
    });
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            panic!("chromium did not finish within 90 s on {url}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let dom = reader.join().unwrap().expect("chromium's output is text");
    assert!(dom.contains("</html>"), "chromium dumped no page for {url}: {dom:.300}");
    dom
}

fn url(run: &Run, fragment: &str) -> String {
    let path = run.out.path().join("report.html").canonicalize().unwrap();
    let path = path.display().to_string().replace('\\', "/");
    let path = if path.starts_with('/') { path } else { format!("/{path}") };
    format!("file://{path}{fragment}")
}

/// Undoes the HTML serialiser's escapes.
fn text(html: &str) -> String {
    html.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

/// The inner text of the element with this id.
fn by_id(dom: &str, id: &str) -> String {
    let start = dom.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id}"));
    let open = dom[start..].find('>').unwrap() + start + 1;
    let close = dom[open..].find('<').unwrap() + open;
    text(&dom[open..close])
}

fn number(dom: &str, id: &str) -> u64 {
    by_id(dom, id).replace(',', "").trim().parse().unwrap_or_else(|_| panic!("#{id} is no number"))
}

/// A row of the users table: whether it is shown, its verdict, its reasons and its cells' text.
struct Row {
    hidden: bool,
    verdict: String,
    reasons: String,
    cells: Vec<String>,
}

fn rows(dom: &str) -> Vec<Row> {
    let body = &dom[dom.find("id=\"user-table\"").expect("user table")..];
    let body = &body[body.find("<tbody>").unwrap()..body.find("</tbody>").unwrap()];
    body.split("<tr ")
        .skip(1)
        .map(|row| {
            let tag = &row[..row.find('>').unwrap()];
            let attribute = |name: &str| {
                let at = tag.find(&format!("{name}=\"")).map(|i| i + name.len() + 2);
                at.map(|i| text(&tag[i..i + tag[i..].find('"').unwrap()])).unwrap_or_default()
            };
            let cells = row
                .split("<td")
                .skip(1)
                .map(|cell| {
                    let inner = &cell[cell.find('>').unwrap() + 1..cell.find("</td>").unwrap()];
                    let mut plain = String::new();
                    let mut in_tag = false;
                    for c in inner.chars() {
                        match c {
                            '<' => in_tag = true,
                            '>' => in_tag = false,
                            c if !in_tag => plain.push(c),
                            _ => {}
                        }
                    }
                    text(&plain)
                })
                .collect();
            Row {
                hidden: tag.contains(" hidden"),
                verdict: attribute("data-verdict"),
                reasons: attribute("data-reasons"),
                cells,
            }
        })
        .collect()
}

fn shown(rows: &[Row]) -> Vec<&Row> {
    rows.iter().filter(|r| !r.hidden).collect()
}

#[test]
fn the_demo_report_renders_in_chromium_with_its_numbers_table_and_filters() {
    let Some(browser) = browser_or_skip() else { return };
    let run = audit(&["--demo"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let summary = run.summary();
    let dom = dump_dom(&browser, &url(&run, ""));
    assert!(dom.contains("data-script=\"ready\""), "the page's script ran to its end");

    assert_eq!(number(&dom, "ready-users"), summary["users"]["ready"].as_u64().unwrap());
    assert_eq!(number(&dom, "total-users"), summary["users"]["total"].as_u64().unwrap());
    for (id, key) in [("ready", "ready"), ("at-risk", "at_risk"), ("unreachable", "unreachable")] {
        assert_eq!(number(&dom, &format!("users-{id}")), summary["users"][key].as_u64().unwrap(), "users {id}");
        assert_eq!(number(&dom, &format!("devices-{id}")), summary["devices"][key].as_u64().unwrap(), "devices {id}");
    }

    // The table: every user who is not ready, in users.csv's order, all shown.
    let users = run.rows("users.csv");
    let not_ready: Vec<_> = users.iter().filter(|u| u["verdict"] != "ready").collect();
    let table = rows(&dom);
    let recipients: Vec<&str> = table.iter().map(|r| r.cells[0].as_str()).collect();
    let expected: Vec<&str> = not_ready.iter().map(|u| u["recipient"].as_str()).collect();
    assert_eq!(recipients, expected);
    assert!(table.iter().all(|r| !r.hidden));
    for (row, user) in table.iter().zip(&not_ready) {
        assert_eq!(row.verdict, user["verdict"]);
        assert_eq!(row.reasons, user["reasons"].replace(';', " "));
        // users.csv guards a cell a spreadsheet would run; the page shows the name as it is.
        let name = &user["closest_device"];
        let unguarded = name.strip_prefix('\'').filter(|n| n.starts_with(['=', '+', '-', '@', '\t', '\r']));
        assert_eq!(row.cells[5], unguarded.unwrap_or(name), "{}", user["recipient"]);
    }
    assert_eq!(by_id(&dom, "shown"), format!("{0} of {0} shown", table.len()));

    // Filters from the address: a verdict, a reason, a text.
    let dom = dump_dom(&browser, &url(&run, "#verdict=unreachable"));
    let left: Vec<String> = shown(&rows(&dom)).iter().map(|r| r.cells[0].clone()).collect();
    let expected: Vec<String> =
        not_ready.iter().filter(|u| u["verdict"] == "unreachable").map(|u| u["recipient"].clone()).collect();
    assert!(!expected.is_empty());
    assert_eq!(left, expected);

    let dom = dump_dom(&browser, &url(&run, "#verdict=at-risk&reason=recent-check-in"));
    let left: Vec<String> = shown(&rows(&dom)).iter().map(|r| r.cells[0].clone()).collect();
    let expected: Vec<String> = not_ready
        .iter()
        .filter(|u| u["verdict"] == "at-risk" && u["reasons"].split(';').any(|r| r == "recent-check-in"))
        .map(|u| u["recipient"].clone())
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(left, expected);

    let needle = not_ready[not_ready.len() / 2]["recipient"].clone();
    let dom = dump_dom(&browser, &url(&run, &format!("#filter={}", needle.to_uppercase())));
    let all = rows(&dom);
    let left = shown(&all);
    assert!(left.iter().any(|r| r.cells[0] == needle), "{needle} is shown");
    assert!(left.iter().all(|r| r.cells.concat().to_lowercase().contains(&needle)), "only rows that match");
    assert_eq!(by_id(&dom, "shown"), format!("{} of {} shown", left.len(), all.len()));

    // A filter that looks like markup is text too: nothing is injected into the page.
    let dom = dump_dom(&browser, &url(&run, "#filter=%3Cimg%20src%3Dx%20onerror%3Ddocument.title%3D1%3E"));
    assert!(dom.contains("data-script=\"ready\""));
    assert!(!dom.contains("<img"), "no element made from the address");
    assert_eq!(by_id(&dom, "shown"), format!("0 of {} shown", all.len()));
}

#[test]
fn names_that_look_like_markup_are_inert_text_in_chromium() {
    let Some(browser) = browser_or_skip() else { return };
    let devices: Vec<String> = [
        ("d1", "<img src=x onerror=alert(1)>", "eve@contoso.example"),
        ("d2", "<script>document.title='owned'</script>", "mal@contoso.example"),
        ("d3", "\u{202e}evil\u{202c} \"quoted\" & <b>bold</b>", "rtl@contoso.example"),
    ]
    .iter()
    .map(|(id, name, upn)| {
        serde_json::json!({"id": id, "deviceName": name, "userId": format!("u-{id}"), "userPrincipalName": upn,
            "operatingSystem": "iOS", "managementAgent": "mdm", "managedDeviceOwnerType": "company",
            "lastSyncDateTime": "2026-11-25T00:00:00Z"})
        .to_string()
    })
    .collect();
    let snapshot = format!(
        r#"{{"kind":"intune-reach.snapshot","version":1,"complete":true,"managedDevices":[{}],"detectedApps":[],"groups":[]}}"#,
        devices.join(",")
    );
    let (_dir, path) = temp_file("awkward.json", snapshot.as_bytes());
    let run = audit(&["--snapshot", path.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let dom = dump_dom(&browser, &url(&run, ""));
    assert!(dom.contains("data-script=\"ready\""));
    assert!(!dom.contains("<img") && !dom.contains("<b>"), "no markup from the tenant");
    assert!(dom.contains("<title>intune-reach: "), "no script from the tenant ran (it would rename the page)");
    let table = rows(&dom);
    let closest: Vec<&str> = table.iter().map(|r| r.cells[5].as_str()).collect();
    assert_eq!(
        closest,
        [
            "<img src=x onerror=alert(1)>",
            "<script>document.title='owned'</script>",
            "\u{202e}evil\u{202c} \"quoted\" & <b>bold</b>"
        ]
    );
    assert!(dom.contains("&lt;img src=x onerror=alert(1)&gt;"), "shown as text");

    let dom = dump_dom(&browser, &url(&run, "#filter=%3Cimg"));
    let left: Vec<String> = shown(&rows(&dom)).iter().map(|r| r.cells[0].clone()).collect();
    assert_eq!(left, ["eve@contoso.example"]);
}
