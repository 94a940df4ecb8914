//! Documents of SPEC §9 on disk: the documents directory, writing a
//! document's file whole or not at all, and how to open one. The command
//! line and the interface both write through `write`.
//!
//! The number is handed out by the command, in the same transaction that
//! registers the document (so two sessions never get the same one and no
//! number is skipped); the file is written after, from the registered text,
//! into a temporary file renamed into place. Should that fail, the document
//! stays registered with its text, and opening it writes the file again.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::backend::{Backend, BackendError};
use crate::domain::{ClientId, Document, ProductId};
use crate::model::{Change, Model};
use crate::templates::DocKind;
use crate::write::Command;

/// `--documents`, then `RAPPORT_DOCUMENTS` (both via clap), then
/// `$XDG_DATA_HOME/rapport/documents`.
pub fn dir(configured: Option<PathBuf>) -> Result<PathBuf, String> {
    configured
        .filter(|p| !p.as_os_str().is_empty())
        .or_else(|| directories::ProjectDirs::from("", "", "rapport").map(|p| p.data_dir().join("documents")))
        .ok_or_else(|| "cannot find a home directory for the documents; pass --documents DIR".into())
}

/// Makes the directory (private) when it is missing and checks that nobody
/// else can put or replace files in it; returns it as an absolute path.
pub fn prepare_dir(dir: &Path) -> Result<PathBuf, String> {
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| format!("cannot make the documents directory {}: {e}", dir.display()))?;
    }
    let full = dir
        .canonicalize()
        .map_err(|e| format!("the documents directory {}: {e}", dir.display()))?;
    let meta = std::fs::metadata(&full).map_err(|e| format!("the documents directory {}: {e}", full.display()))?;
    if !meta.is_dir() {
        return Err(format!("{} is not a directory", full.display()));
    }
    let me = nix::unistd::geteuid().as_raw();
    if meta.uid() != me {
        return Err(format!(
            "the documents directory {} belongs to someone else; use a directory of your own (--documents)",
            full.display()
        ));
    }
    if meta.permissions().mode() & 0o022 != 0 {
        return Err(format!(
            "others can write in the documents directory {}; make it private (chmod go-w) or choose another",
            full.display()
        ));
    }
    Ok(full)
}

/// Writes `doc`'s registered text to `path`: a temporary file in the same
/// directory, flushed, then renamed to its name. An existing file of that
/// name is never replaced.
pub fn write_file(doc: &Document, path: &Path) -> Result<PathBuf, String> {
    let path = path.to_path_buf();
    let parent = path
        .parent()
        .ok_or_else(|| format!("{}: no directory", path.display()))?;
    prepare_dir(parent)?;
    let fail = |e: &dyn std::fmt::Display| format!("cannot write {}: {e}", path.display());
    let mut tmp = tempfile::Builder::new()
        .prefix(".rapport-")
        .suffix(".tmp")
        .tempfile_in(parent)
        .map_err(|e| fail(&e))?;
    tmp.write_all(doc.text.as_bytes()).map_err(|e| fail(&e))?;
    tmp.as_file().sync_all().map_err(|e| fail(&e))?;
    // On error the temporary file is removed when `tmp` drops.
    tmp.persist_noclobber(&path).map_err(|e| fail(&e.error))?;
    Ok(path)
}

/// Why a document was not written.
#[derive(Debug)]
pub enum WriteError {
    /// Refused or failed before anything was registered.
    Command(BackendError),
    /// The directory cannot be used: nothing was registered.
    Dir(String),
    /// Registered (its number is taken) but the file could not be written.
    File { number: String, message: String },
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::Command(e) => write!(f, "{e}"),
            WriteError::Dir(m) => write!(f, "{m}"),
            WriteError::File { number, message } => write!(
                f,
                "{number} is registered but its file was not written ({message}); `rapport doc open {number}` writes it again"
            ),
        }
    }
}

/// The command that registers the stage's document of `client`'s offer of
/// `product`, to be written into `dir` (made and checked first).
pub fn command(
    dir: &Path,
    client: ClientId,
    product: ProductId,
    kind: DocKind,
    date: NaiveDate,
) -> Result<Command, String> {
    let dir = prepare_dir(dir)?;
    Ok(Command::WriteDocument {
        client,
        product,
        kind,
        date,
        dir: dir.to_string_lossy().into_owned(),
    })
}

/// The document an event registered.
pub fn registered(changes: &[Change]) -> Option<&Document> {
    changes.iter().find_map(|c| match c {
        Change::Sales {
            record: Some(crate::domain::SalesRecord::Document(d)),
            ..
        } => Some(d),
        _ => None,
    })
}

/// Writes a just registered document's file.
pub fn finish(doc: &Document) -> Result<PathBuf, WriteError> {
    write_file(doc, Path::new(&doc.file)).map_err(|message| WriteError::File {
        number: doc.number.to_string(),
        message,
    })
}

/// Registers the stage's document of `client`'s offer of `product` and
/// writes its file into `dir`.
pub fn write(
    backend: &mut dyn Backend,
    who: &str,
    dir: &Path,
    client: ClientId,
    product: ProductId,
    kind: DocKind,
    date: NaiveDate,
) -> Result<Document, WriteError> {
    let cmd = command(dir, client, product, kind, date).map_err(WriteError::Dir)?;
    let event = backend.execute(who, cmd).map_err(WriteError::Command)?;
    let doc = registered(&event.changes)
        .cloned()
        .ok_or_else(|| WriteError::Dir("the server did not return the document".into()))?;
    finish(&doc)?;
    Ok(doc)
}

/// The kind of document an offer's current stage calls for.
pub fn kind_for(model: &Model, client: ClientId, product: ProductId) -> Option<DocKind> {
    let stage = model.offers.get(&(client, product))?.stage;
    DocKind::ALL.into_iter().find(|k| k.stage() == stage)
}

/// The file to open `doc` from: the one it was written to when it can be
/// read here, else a copy in `my_dir` (written from the registered text if
/// it is not there yet: the file was deleted, or another user wrote it).
pub fn file_to_open(doc: &Document, my_dir: &Path) -> Result<PathBuf, String> {
    let path = PathBuf::from(&doc.file);
    if std::fs::File::open(&path).is_ok() {
        return Ok(path);
    }
    let dir = prepare_dir(my_dir)?;
    let copy = dir.join(format!("{}.txt", doc.number));
    if copy.exists() {
        return Ok(copy);
    }
    write_file(doc, &copy)
}

/// The program a document opens with: `$PAGER` in a terminal, else
/// `xdg-open` when there is one on the `PATH`.
pub fn opener() -> Option<Vec<String>> {
    if let Ok(pager) = std::env::var("PAGER") {
        let words: Vec<String> = pager.split_whitespace().map(String::from).collect();
        if !words.is_empty() {
            return Some(words);
        }
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("xdg-open"))
        .find(|p| p.is_file())
        .map(|p| vec![p.to_string_lossy().into_owned()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_others_can_write_is_refused_and_a_missing_one_made_private() {
        let tmp = tempfile::tempdir().unwrap();
        let made = tmp.path().join("a/b");
        let full = prepare_dir(&made).unwrap();
        assert_eq!(std::fs::metadata(&full).unwrap().permissions().mode() & 0o777, 0o700);
        std::fs::set_permissions(&full, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(prepare_dir(&full).unwrap_err().contains("others can write"));
    }

    #[test]
    fn a_file_is_written_whole_and_never_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = prepare_dir(tmp.path()).unwrap();
        let doc = Document {
            number: "OFF-2026-0001".parse().unwrap(),
            client: ClientId(1),
            product: ProductId(1),
            stage: crate::domain::OfferStage::Proposal,
            date: "2026-03-01".parse().unwrap(),
            file: dir.join("OFF-2026-0001.txt").to_string_lossy().into_owned(),
            text: "COMMERCIAL OFFER".into(),
            sent: None,
            who: "amy".into(),
            seq: 1,
        };
        let path = write_file(&doc, Path::new(&doc.file)).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "COMMERCIAL OFFER");
        let other = Document {
            text: "ANOTHER".into(),
            ..doc.clone()
        };
        assert!(write_file(&other, &path).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "COMMERCIAL OFFER");
        // No temporary file is left behind.
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["OFF-2026-0001.txt"]);
        // A deleted file is written again from the registered text.
        std::fs::remove_file(&path).unwrap();
        assert_eq!(file_to_open(&doc, &dir).unwrap(), path);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "COMMERCIAL OFFER");
    }
}
