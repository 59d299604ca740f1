//! Files written whole or not at all: each goes to a temporary name in its target folder and is
//! renamed into place only once it (and every file written with it) is complete. A crash, a full disk
//! or a Ctrl-C ([`crate::interrupt`]) never leaves half a report or half a snapshot, and errors name
//! the file being written (exit 2: the output path is the user's input).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::interrupt;

/// A file being written under a temporary name, to be renamed to `path`.
#[derive(Debug)]
pub struct PendingFile {
    temp: tempfile::NamedTempFile,
    path: PathBuf,
    _registered: interrupt::Registered,
}

impl PendingFile {
    /// Starts writing `path` (its folder must exist).
    pub fn create(path: &Path) -> Result<Self, Error> {
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let mut builder = tempfile::Builder::new();
        builder.prefix(".intune-reach-").suffix(".tmp");
        // A temporary file is private (0600) on Unix; reports are meant to be read by others (a file
        // share, a pipeline's artifacts), so they get the permissions of any new file (umask applies).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let temp = builder.tempfile_in(dir).map_err(|source| Error::Output { path: path.to_owned(), source })?;
        let registered = interrupt::Registered::new(temp.path());
        Ok(PendingFile { temp, path: path.to_owned(), _registered: registered })
    }

    /// Writes the content through a buffer; an error names the final path.
    pub fn write_with(&mut self, render: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<(), Error> {
        let error = |source| Error::Output { path: self.path.clone(), source };
        let file: &mut File = self.temp.as_file_mut();
        let mut writer = BufWriter::with_capacity(1 << 20, file);
        render(&mut writer).map_err(error)?;
        writer.flush().map_err(error)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Renames every file into place, in order, without a Ctrl-C between two renames. Returns the paths.
pub fn persist_all(files: Vec<PendingFile>) -> Result<Vec<PathBuf>, Error> {
    let _no_interrupt_now = interrupt::hold_off();
    let mut written = Vec::with_capacity(files.len());
    for file in files {
        file.temp.persist(&file.path).map_err(|e| Error::Output { path: file.path.clone(), source: e.error })?;
        written.push(file.path);
    }
    Ok(written)
}

/// Writes one file whole or not at all.
pub fn write_file(path: &Path, render: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<(), Error> {
    let mut file = PendingFile::create(path)?;
    file.write_with(render)?;
    persist_all(vec![file]).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    #[test]
    fn files_appear_only_when_all_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = PendingFile::create(&dir.path().join("a.csv")).unwrap();
        a.write_with(|w| w.write_all(b"a")).unwrap();
        let mut b = PendingFile::create(&dir.path().join("b.csv")).unwrap();
        b.write_with(|w| w.write_all(b"b")).unwrap();
        assert!(entries(dir.path()).iter().all(|name| name.ends_with(".tmp")), "nothing in place before the rename");
        persist_all(vec![a, b]).unwrap();
        assert_eq!(entries(dir.path()), vec!["a.csv", "b.csv"]);
        assert!(!interrupt::tests::is_registered_under(dir.path()));
    }

    #[test]
    fn a_failed_write_names_the_file_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("devices.csv");
        let err =
            write_file(&path, |_| Err(std::io::Error::new(std::io::ErrorKind::StorageFull, "disk full"))).unwrap_err();
        match &err {
            Error::Output { path: named, source } => {
                assert_eq!(named, &path);
                assert_eq!(source.kind(), std::io::ErrorKind::StorageFull);
            }
            other => panic!("unexpected error {other:?}"),
        }
        assert_eq!(err.exit_code(), 2);
        assert!(entries(dir.path()).is_empty(), "no temporary file is left: {:?}", entries(dir.path()));
        assert!(!interrupt::tests::is_registered_under(dir.path()));
    }

    #[cfg(unix)]
    #[test]
    fn written_files_get_the_permissions_of_any_new_file() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        File::create(&plain).unwrap();
        let report = dir.path().join("users.csv");
        write_file(&report, |w| w.write_all(b"x")).unwrap();
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&report), mode(&plain), "not the temporary file's private 0600");
    }
}
