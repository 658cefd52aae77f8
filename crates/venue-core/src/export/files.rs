//! Files the console writes where the user says (`venue export -o FILE`, `venue backup FILE`):
//! never over the store, its `-wal`/`-shm`/`-journal` files or `venue.toml`, however the path
//! names them (relative, `..`, a symbolic link, a hard link); written to a temporary file beside
//! the target and renamed into place, so a failed or refused write leaves the target as it was;
//! and never over a file that is not an earlier export of the same kind unless forced.

use crate::config::CONFIG_FILE;
use crate::export::{ExportEntity, ExportFormat, TimeBound};
use crate::{ApiError, ApiResult, Console, ErrorCode};
use serde::Serialize;
use std::fs::Metadata;
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use venue_store::diagnose::{companion, COMPANION_SUFFIXES};

/// What a checked output path holds now.
enum Existing {
    Nothing,
    /// A regular file: replaced only when it is an earlier export of the same kind, or forced.
    File(Metadata),
    /// A character device or a FIFO (`/dev/null`, `/dev/stdout`, a named pipe): written in
    /// place, as renaming over it would replace the device itself.
    Stream,
}

/// A path checked to be safe to write: `path` is where the file lands (symbolic links
/// followed, so a link to an export is kept and its target replaced).
struct Target {
    requested: PathBuf,
    path: PathBuf,
    existing: Existing,
}

/// `venue backup`'s result.
#[derive(Debug, Clone, Serialize)]
pub struct BackupReport {
    pub path: String,
    pub bytes: u64,
}

fn io_error(what: &str, path: &Path, e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        ErrorCode::Io,
        format!("cannot {what} {}: {e}", path.display()),
    )
}

/// Where `path` leads once every symbolic link is followed, as an absolute path; for a path
/// that does not exist (yet), its folder's real path joined with its name.
fn resolve(path: &Path) -> std::io::Result<PathBuf> {
    let mut path = path.to_path_buf();
    // Like the kernel's own bound on a chain of links.
    for _ in 0..40 {
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = std::fs::read_link(&path)?;
                path = parent_of(&path).join(link);
            }
            Ok(_) => return std::fs::canonicalize(&path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let name = path.file_name().ok_or(e)?.to_owned();
                return Ok(std::fs::canonicalize(parent_of(&path))?.join(name));
            }
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Whether two paths name one file on a file system that ignores case (macOS, Windows).
fn same_name(a: &Path, b: &Path) -> bool {
    if cfg!(any(target_os = "macos", windows)) {
        a.to_string_lossy().to_lowercase() == b.to_string_lossy().to_lowercase()
    } else {
        a == b
    }
}

/// Whether two existing files are one (hard links share device and inode).
#[cfg(unix)]
fn same_file(a: &Metadata, b: &Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_: &Metadata, _: &Metadata) -> bool {
    false
}

impl Console {
    /// The files an output must never replace: the store, its companions, the config.
    fn protected_files(&self) -> Vec<(PathBuf, &'static str)> {
        let store = self.store.path();
        let mut files = vec![(store.to_path_buf(), "store")];
        for suffix in COMPANION_SUFFIXES {
            files.push((companion(store, suffix), "store's SQLite companion file"));
        }
        files.push((self.data_dir().join(CONFIG_FILE), "configuration"));
        files
    }

    /// Checks `requested` before anything is written: refused (bad input, nothing touched) when
    /// it is, or leads to, the store, a companion of it or the config, or is a folder.
    fn output_target(&self, requested: &Path) -> ApiResult<Target> {
        let path = resolve(requested).map_err(|e| io_error("write to", requested, e))?;
        // Follows links, so a hard or symbolic link to a protected file shows the same inode.
        let target_meta = std::fs::metadata(requested).ok();
        for (protected, what) in self.protected_files() {
            let by_name = resolve(&protected).is_ok_and(|p| same_name(&p, &path));
            let by_inode = match (&target_meta, std::fs::metadata(&protected)) {
                (Some(target), Ok(protected)) => same_file(target, &protected),
                _ => false,
            };
            if by_name || by_inode {
                return Err(ApiError::bad_input(format!(
                    "refusing to write to {}: it is the venue's {what} ({}); nothing was written — choose another file",
                    requested.display(),
                    protected.display()
                )));
            }
        }
        let existing = match target_meta {
            None => Existing::Nothing,
            Some(meta) if meta.is_file() => Existing::File(meta),
            Some(meta) if meta.is_dir() => {
                return Err(ApiError::bad_input(format!(
                    "{} is a folder; name a file to write to",
                    requested.display()
                )))
            }
            Some(meta) if is_stream(&meta) => Existing::Stream,
            Some(_) => {
                return Err(ApiError::bad_input(format!(
                    "{} is neither a file nor a character device or pipe; refusing to write to it",
                    requested.display()
                )))
            }
        };
        Ok(Target {
            requested: requested.to_path_buf(),
            path,
            existing,
        })
    }

    /// Writes an export to `path`. An existing file is replaced only when it is an earlier
    /// export of the same entity and format (or nothing: an empty file, an empty JSON array),
    /// or with `force`; the store and config never are.
    #[allow(clippy::too_many_arguments)]
    pub fn export_to_file(
        &self,
        entity: ExportEntity,
        format: ExportFormat,
        since: Option<TimeBound>,
        until: Option<TimeBound>,
        resolution: Option<&str>,
        path: &Path,
        force: bool,
    ) -> ApiResult<u64> {
        // Refuse before creating anything, so a bad request leaves nothing behind.
        self.venue()?;
        let target = self.output_target(path)?;
        let export = |out: &mut dyn Write| -> ApiResult<u64> {
            let mut out = std::io::BufWriter::new(out);
            let count = self.export_at(entity, format, since, until, resolution, &mut out)?;
            out.flush()
                .map_err(|e| io_error("write", &target.requested, e))?;
            Ok(count)
        };
        if let Existing::Stream = target.existing {
            let stream = std::fs::OpenOptions::new()
                .write(true)
                .open(&target.requested)
                .map_err(|e| io_error("open", &target.requested, e))?;
            let mut stream = PipeWatch::new(stream);
            return match export(&mut stream) {
                // `-o /dev/stdout | head`: the reader has all it wanted.
                Err(_) if stream.closed => Ok(0),
                written => written,
            };
        }
        let mut temp = self.temp_beside(&target)?;
        let count = export(temp.as_file_mut())?;
        if let Existing::File(meta) = &target.existing {
            if !force && !is_earlier_export(&target.path, temp.path(), format)? {
                return Err(ApiError::bad_input(format!(
                    "{} already exists and is not an earlier {} {} export; nothing was written — pass --force to replace it",
                    target.requested.display(),
                    entity_name(entity),
                    format_name(format)
                )));
            }
            // The replacement keeps who may read it.
            std::fs::set_permissions(temp.path(), meta.permissions())
                .map_err(|e| io_error("write", &target.requested, e))?;
        }
        persist(temp, &target)?;
        Ok(count)
    }

    /// Writes a consistent copy of the store to `path` (SQLite's `VACUUM INTO`, while the store
    /// stays in use). An existing file is replaced only with `force`.
    pub fn backup(&self, path: &Path, force: bool) -> ApiResult<BackupReport> {
        let target = self.output_target(path)?;
        match &target.existing {
            Existing::Stream => {
                return Err(ApiError::bad_input(format!(
                    "{} is not a regular file; a backup must go to one",
                    path.display()
                )))
            }
            Existing::File(_) if !force => {
                return Err(ApiError::bad_input(format!(
                    "{} already exists; nothing was written — pass --force to replace it",
                    path.display()
                )))
            }
            _ => {}
        }
        let temp = self.temp_beside(&target)?;
        self.store.backup_to(temp.path())?;
        let bytes = temp
            .as_file()
            .metadata()
            .map_err(|e| io_error("write", path, e))?
            .len();
        persist(temp, &target)?;
        Ok(BackupReport {
            path: target.path.display().to_string(),
            bytes,
        })
    }

    /// An empty temporary file in the target's folder (a rename within one file system is
    /// atomic), created as a new file would be (0666 less the umask), deleted if dropped.
    fn temp_beside(&self, target: &Target) -> ApiResult<tempfile::NamedTempFile> {
        let mut builder = tempfile::Builder::new();
        builder.prefix(".venue-").suffix(".partial");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        builder
            .tempfile_in(parent_of(&target.path))
            .map_err(|e| io_error("write to", &target.requested, e))
    }
}

/// A writer that remembers whether its reader went away (a closed pipe), for writers whose
/// errors reach the caller as text only: `venue export | head` ends quietly, not as a failure.
pub struct PipeWatch<W> {
    inner: W,
    /// Set once a write met a closed pipe.
    pub closed: bool,
}

impl<W: Write> PipeWatch<W> {
    pub fn new(inner: W) -> Self {
        PipeWatch {
            inner,
            closed: false,
        }
    }

    fn watch<T>(&mut self, result: std::io::Result<T>) -> std::io::Result<T> {
        if let Err(e) = &result {
            self.closed |= e.kind() == std::io::ErrorKind::BrokenPipe;
        }
        result
    }
}

impl<W: Write> Write for PipeWatch<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let result = self.inner.write(buf);
        self.watch(result)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let result = self.inner.flush();
        self.watch(result)
    }
}

#[cfg(unix)]
fn is_stream(meta: &Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    meta.file_type().is_char_device() || meta.file_type().is_fifo()
}

#[cfg(not(unix))]
fn is_stream(_: &Metadata) -> bool {
    false
}

/// Flushes the temporary file to disk and renames it over the target.
fn persist(temp: tempfile::NamedTempFile, target: &Target) -> ApiResult<()> {
    temp.as_file()
        .sync_all()
        .map_err(|e| io_error("write", &target.requested, e))?;
    temp.persist(&target.path)
        .map_err(|e| io_error("write", &target.requested, e.error))?;
    Ok(())
}

fn entity_name(entity: ExportEntity) -> &'static str {
    ExportEntity::NAMES
        .iter()
        .copied()
        .find(|name| name.parse::<ExportEntity>().ok() == Some(entity))
        .unwrap_or("entity")
}

fn format_name(format: ExportFormat) -> &'static str {
    match format {
        ExportFormat::Csv => "CSV",
        ExportFormat::Json => "JSON",
    }
}

/// What identifies an export's kind from its first lines. A marker written into the file is not
/// an option (it would be a bogus row in a CSV that spreadsheets and scripts read), so an
/// earlier export is recognised by its shape instead: a CSV export's header line (the entity's
/// column names, in order), or a JSON export's `[` line followed by a first record with the
/// entity's keys, in order. Another file with exactly that shape is, for all purposes, an
/// export of that entity; anything else needs `--force`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ExportShape {
    /// An empty file or an empty JSON array: nothing would be lost.
    Empty,
    /// The header line (CSV) or the first record's keys (JSON).
    Columns(Vec<String>),
}

/// Reads at most this much of a line when recognising an export (a JSON record can be long).
const SHAPE_LINE_LIMIT: u64 = 1 << 20;

fn read_line(reader: &mut impl BufRead) -> std::io::Result<Option<String>> {
    let mut line = Vec::new();
    reader
        .by_ref()
        .take(SHAPE_LINE_LIMIT)
        .read_until(b'\n', &mut line)?;
    if line.is_empty() {
        return Ok(None);
    }
    Ok(String::from_utf8(line).ok())
}

/// The shape of the file at `path` read as `format`; None when it is not an export's.
pub(crate) fn export_shape(
    path: &Path,
    format: ExportFormat,
) -> std::io::Result<Option<ExportShape>> {
    let mut reader = std::io::BufReader::new(std::fs::File::open(path)?);
    let Some(first) = read_line(&mut reader)? else {
        return Ok(Some(ExportShape::Empty));
    };
    Ok(match format {
        ExportFormat::Csv => {
            let header = first.trim_end_matches(['\r', '\n']);
            if header.is_empty() {
                None
            } else {
                let columns = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .from_reader(header.as_bytes())
                    .records()
                    .next()
                    .and_then(Result::ok)
                    .map(|record| record.iter().map(str::to_string).collect());
                columns.map(ExportShape::Columns)
            }
        }
        ExportFormat::Json => match first.as_str() {
            "[]\n" if read_line(&mut reader)?.is_none() => Some(ExportShape::Empty),
            "[\n" => read_line(&mut reader)?.and_then(|record| {
                let record = record.trim_end().trim_end_matches(',');
                match serde_json::from_str::<serde_json::Value>(record) {
                    Ok(serde_json::Value::Object(map)) => {
                        Some(ExportShape::Columns(map.keys().cloned().collect()))
                    }
                    _ => None,
                }
            }),
            _ => None,
        },
    })
}

/// Whether `existing` may be replaced by the freshly written export at `new` without `--force`.
fn is_earlier_export(existing: &Path, new: &Path, format: ExportFormat) -> ApiResult<bool> {
    let shape = |p: &Path| export_shape(p, format).map_err(|e| io_error("read", p, e));
    Ok(match shape(existing)? {
        Some(ExportShape::Empty) => true,
        Some(old) => shape(new)? == Some(old),
        None => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape_of(text: &str, format: ExportFormat) -> Option<ExportShape> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        std::fs::write(&path, text).expect("write");
        export_shape(&path, format).expect("read")
    }

    fn columns(names: &[&str]) -> Option<ExportShape> {
        Some(ExportShape::Columns(
            names.iter().map(|n| n.to_string()).collect(),
        ))
    }

    #[test]
    fn export_shapes_are_read_from_header_lines_and_first_records() {
        use ExportFormat::*;
        let table: &[(&str, ExportFormat, Option<ExportShape>)] = &[
            ("", Csv, Some(ExportShape::Empty)),
            ("", Json, Some(ExportShape::Empty)),
            ("[]\n", Json, Some(ExportShape::Empty)),
            (
                "id,total_minor,total\n1,250,2.50\n",
                Csv,
                columns(&["id", "total_minor", "total"]),
            ),
            ("id,\"a,b\"\r\n", Csv, columns(&["id", "a,b"])),
            (
                "[\n{\"id\":\"x\",\"n\":1},\n{\"id\":\"y\",\"n\":2}\n]\n",
                Json,
                columns(&["id", "n"]),
            ),
            ("[\n{\"id\":\"x\"}\n]\n", Json, columns(&["id"])),
            // Not an export's shape: prose, another JSON layout, a database, a blank first line.
            ("[]\nmore\n", Json, None),
            ("{\"id\":1}\n", Json, None),
            ("[1, 2, 3]\n", Json, None),
            ("[\n42\n]\n", Json, None),
            ("\nid\n", Csv, None),
            ("SQLite format 3\0\u{1}\u{2}", Json, None),
        ];
        for (text, format, expected) in table {
            assert_eq!(&shape_of(text, *format), expected, "{text:?} as {format:?}");
        }
    }

    #[test]
    fn links_and_dot_dots_resolve_to_the_file_they_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        let real = std::fs::canonicalize(dir.path()).expect("canonical");
        std::fs::create_dir(real.join("sub")).expect("mkdir");
        std::fs::write(real.join("store"), b"x").expect("write");
        assert_eq!(
            resolve(&real.join("sub/../store")).expect("resolve"),
            real.join("store")
        );
        assert_eq!(
            resolve(&real.join("sub/../new")).expect("resolve"),
            real.join("new")
        );
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(real.join("store"), real.join("sub/link")).expect("link");
            std::os::unix::fs::symlink("../missing", real.join("sub/dangling")).expect("link");
            std::os::unix::fs::symlink("link", real.join("sub/chain")).expect("link");
            assert_eq!(
                resolve(&real.join("sub/link")).expect("resolve"),
                real.join("store")
            );
            assert_eq!(
                resolve(&real.join("sub/chain")).expect("resolve"),
                real.join("store")
            );
            assert_eq!(
                resolve(&real.join("sub/dangling")).expect("resolve"),
                real.join("missing")
            );
            std::os::unix::fs::symlink("loop", real.join("loop")).expect("link");
            assert!(resolve(&real.join("loop")).is_err(), "a loop of links ends");
        }
    }
}
