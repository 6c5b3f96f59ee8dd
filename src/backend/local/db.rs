//! The SQLite file under the local fabric: schema, connection settings and a
//! small connection pool. Several processes may open one file at once: WAL
//! lets readers run beside one writer, every change is one `BEGIN IMMEDIATE`
//! transaction, and a busy timeout makes writers queue instead of failing.

use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// How long a writer waits for another process's transaction.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections kept open for reuse.
const POOL_SIZE: usize = 16;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS vnets (
    id TEXT PRIMARY KEY COLLATE NOCASE,
    role TEXT NOT NULL,
    resource_group TEXT NOT NULL,
    name TEXT NOT NULL,
    location TEXT NOT NULL,
    address_space TEXT NOT NULL,
    dns_servers TEXT NOT NULL,
    gateway TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS subnets (
    vnet_id TEXT NOT NULL COLLATE NOCASE,
    name TEXT NOT NULL COLLATE NOCASE,
    cidr TEXT NOT NULL,
    ord INTEGER NOT NULL,
    PRIMARY KEY (vnet_id, name)
);
CREATE TABLE IF NOT EXISTS subnet_delegations (
    vnet_id TEXT NOT NULL COLLATE NOCASE,
    subnet TEXT NOT NULL COLLATE NOCASE,
    service TEXT NOT NULL,
    PRIMARY KEY (vnet_id, subnet)
);
CREATE TABLE IF NOT EXISTS peerings (
    vnet_id TEXT NOT NULL COLLATE NOCASE,
    name TEXT NOT NULL COLLATE NOCASE,
    remote_vnet_id TEXT NOT NULL COLLATE NOCASE,
    allow_virtual_network_access INTEGER NOT NULL,
    allow_forwarded_traffic INTEGER NOT NULL,
    allow_gateway_transit INTEGER NOT NULL,
    use_remote_gateways INTEGER NOT NULL,
    peering_state TEXT NOT NULL,
    remote_address_space TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (vnet_id, name)
);
CREATE INDEX IF NOT EXISTS peerings_remote ON peerings (remote_vnet_id);
CREATE TABLE IF NOT EXISTS gateways (
    id TEXT PRIMARY KEY COLLATE NOCASE,
    vnet_id TEXT NOT NULL COLLATE NOCASE,
    kind TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS vnet_guids (
    vnet_id TEXT PRIMARY KEY COLLATE NOCASE,
    resource_guid TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS dns_configurations (
    id TEXT PRIMARY KEY COLLATE NOCASE,
    cluster_id TEXT NOT NULL COLLATE NOCASE,
    flavor TEXT NOT NULL,
    vnet_dns_servers TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS k8s_objects (
    cluster_id TEXT NOT NULL COLLATE NOCASE,
    namespace TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    owner_id TEXT NOT NULL COLLATE NOCASE,
    ord INTEGER NOT NULL,
    manifest TEXT NOT NULL,
    PRIMARY KEY (cluster_id, namespace, kind, name)
);
CREATE INDEX IF NOT EXISTS k8s_objects_owner ON k8s_objects (owner_id);
CREATE TABLE IF NOT EXISTS stacks (
    name TEXT PRIMARY KEY,
    serial INTEGER NOT NULL DEFAULT 0,
    lock_pid INTEGER,
    lock_token TEXT,
    lock_since INTEGER,
    lock_host TEXT,
    lock_start TEXT,
    lock_expires INTEGER
);
CREATE TABLE IF NOT EXISTS stack_resources (
    stack TEXT NOT NULL,
    address TEXT NOT NULL,
    kind TEXT NOT NULL,
    id TEXT,
    attrs TEXT NOT NULL,
    depends_on TEXT NOT NULL,
    pending TEXT,
    PRIMARY KEY (stack, address)
);
INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '1');
"#;

/// The default file: `.hybridk8s/fabric.db` under `dir`.
pub fn default_path(dir: &Path) -> PathBuf {
    dir.join(".hybridk8s").join("fabric.db")
}

/// Creates the file (mode 0600) and its directory when missing, then the
/// schema. The path must name a regular file that is a hybridk8s fabric (or
/// an empty one), or nothing yet: a symbolic link, a device, a FIFO, a
/// directory, a SQLite URI or another program's database is refused without
/// being touched. A `.hybridk8s` directory it makes is 0700 whatever the
/// umask; the fabric's `-wal` / `-shm` files are made 0600 too.
pub fn create(path: &Path) -> rusqlite::Result<Connection> {
    check_state_path(path).map_err(io_err)?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        if !parent.exists() {
            std::fs::create_dir_all(parent).map_err(io_err)?;
            if parent.file_name().is_some_and(|n| n == ".hybridk8s") {
                private_dir(parent).map_err(io_err)?;
            }
        }
    }
    create_file_0600(path).map_err(io_err)?;
    let mut conn = connect(path)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(SCHEMA)?;
    tx.execute_batch(super::attached::SCHEMA)?;
    migrate(&tx)?;
    tx.commit()?;
    private_sidecars(path).map_err(io_err)?;
    Ok(conn)
}

fn refused(path: &Path, why: &str) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!("state path {}: {why}; nothing was changed", path.display()),
    )
}

/// The path names nothing yet or a regular file, and is not a SQLite URI.
fn check_state_path(path: &Path) -> std::io::Result<()> {
    if path.to_str().is_some_and(|s| s.starts_with("file:")) {
        return Err(refused(path, "is a SQLite URI; give the path of a file"));
    }
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
        Ok(m) if m.file_type().is_symlink() => Err(refused(
            path,
            "is a symbolic link; hybridk8s opens its fabric only as a regular file (give the link's target)",
        )),
        Ok(m) if !m.is_file() => Err(refused(path, "is not a regular file (a directory, device or FIFO)")),
        Ok(_) => Ok(()),
    }
}

/// An existing file is an empty one, or a SQLite database with the
/// fabric's tables (read without following links, written by nothing).
fn is_a_fabric(path: &Path) -> std::io::Result<()> {
    use std::io::Read;
    let mut f = open_nofollow(path)?;
    let mut header = [0u8; 16];
    let n = f.read(&mut header)?;
    if n == 0 {
        return Ok(());
    }
    if n < 16 || &header != b"SQLite format 3\0" {
        return Err(refused(path, "is not a hybridk8s fabric (not a SQLite database)"));
    }
    // Read without a lock (`immutable`): a look at the table names must
    // not get in the way of another process making the schema right now.
    let uri = format!("file:{}?immutable=1", uri_path(path));
    let conn = Connection::open_with_flags(
        &uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
    )
    .map_err(|e| refused(path, &format!("cannot be read as a SQLite database ({e})")))?;
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
        .map_err(|e| refused(path, &format!("cannot be read as a SQLite database ({e})")))?;
    if tables.is_empty() || ["meta", "vnets"].iter().all(|t| tables.iter().any(|x| x == t)) {
        Ok(())
    } else {
        Err(refused(
            path,
            &format!(
                "is another program's SQLite database (tables {}), not a hybridk8s fabric",
                tables.join(", ")
            ),
        ))
    }
}

/// A path as the path of a `file:` URI (percent-encoded, absolute).
fn uri_path(path: &Path) -> String {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    abs.to_string_lossy()
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'/' | b'.' | b'_' | b'-' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(unix)]
fn open_nofollow(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_nofollow(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

#[cfg(unix)]
fn private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

#[cfg(not(unix))]
fn private_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

/// `-wal` and `-shm` beside the fabric (stale ones from a looser umask
/// too) are 0600; a link there is left alone.
#[cfg(unix)]
fn private_sidecars(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    for suffix in ["-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let p = PathBuf::from(p);
        if let Ok(m) = std::fs::symlink_metadata(&p) {
            if m.is_file() && m.permissions().mode() & 0o077 != 0 {
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600))?;
            }
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn private_sidecars(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Columns added after the first release, for files made before them.
fn migrate(tx: &rusqlite::Transaction) -> rusqlite::Result<()> {
    // Stack locks name their holder's host, start time and lease.
    for (column, ty) in [
        ("lock_host", "TEXT"),
        ("lock_start", "TEXT"),
        ("lock_expires", "INTEGER"),
    ] {
        let has: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM pragma_table_info('stacks') WHERE name = ?1)",
            [column],
            |r| r.get(0),
        )?;
        if !has {
            tx.execute_batch(&format!("ALTER TABLE stacks ADD COLUMN {column} {ty}"))?;
        }
    }
    for table in ["vnets", "peerings"] {
        let has_tags: bool = tx.query_row(
            &format!("SELECT EXISTS (SELECT 1 FROM pragma_table_info('{table}') WHERE name = 'tags')"),
            [],
            |r| r.get(0),
        )?;
        if !has_tags {
            tx.execute_batch(&format!(
                "ALTER TABLE {table} ADD COLUMN tags TEXT NOT NULL DEFAULT '{{}}'"
            ))?;
        }
    }
    Ok(())
}

/// Creates the file 0600 when it is not there (never through a link);
/// true when it made it. An existing fabric made with a looser umask is
/// tightened after it was found to be one.
#[cfg(unix)]
fn create_file_0600(path: &Path) -> std::io::Result<bool> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
    {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            check_state_path(path)?;
            is_a_fabric(path)?;
            use std::os::unix::fs::PermissionsExt;
            let perms = std::fs::metadata(path)?.permissions();
            if perms.mode() & 0o077 != 0 {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
            }
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

#[cfg(not(unix))]
fn create_file_0600(path: &Path) -> std::io::Result<bool> {
    match std::fs::OpenOptions::new().write(true).create_new(true).open(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

fn io_err(e: std::io::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(e))
}

/// A new, empty fabric in memory, shared by every connection to the URI it
/// returns while one of them is open. Nothing touches the disk.
pub fn memory() -> rusqlite::Result<(PathBuf, Connection)> {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let uri = PathBuf::from(format!(
        "file:hybridk8s-empty-{}-{n}?mode=memory&cache=shared",
        std::process::id()
    ));
    let mut conn = connect(&uri)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(SCHEMA)?;
    tx.execute_batch(super::attached::SCHEMA)?;
    tx.commit()?;
    Ok((uri, conn))
}

/// Opens one connection with the fabric's settings.
pub fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let uri = path.to_str().is_some_and(|s| s.starts_with("file:"));
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | if uri {
            // Only the in-memory fabric of [`memory`]: [`create`] refuses URIs.
            OpenFlags::SQLITE_OPEN_URI
        } else {
            OpenFlags::SQLITE_OPEN_NOFOLLOW
        };
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Switching a new file to WAL needs it to itself for a moment; another
    // process making the same fabric right now holds it, and SQLite does
    // not wait for that (no busy handler): retry within the busy timeout.
    let started = std::time::Instant::now();
    let mode: String = loop {
        match conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)) {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy && started.elapsed() < BUSY_TIMEOUT =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            r => break r?,
        }
    };
    // An in-memory fabric (see [`memory`]) has no WAL.
    debug_assert!(matches!(mode.to_ascii_lowercase().as_str(), "wal" | "memory"));
    // WAL + NORMAL survives a killed process (not a power cut) without an
    // fsync per commit.
    conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF;")?;
    Ok(conn)
}

/// Reuses open connections; opens more when all are busy. Measured on the
/// 1,000-resource benchmark (release, 2 cores): a connection per operation
/// takes 6–9 s to apply, the pool about 1 s — opening a connection (WAL
/// set-up, schema read) costs more than the transaction itself.
pub struct Pool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Pool {
    pub fn new(path: PathBuf, first: Connection) -> Self {
        Pool {
            path,
            idle: Mutex::new(vec![first]),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn get(&self) -> rusqlite::Result<Connection> {
        let pooled = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match pooled {
            Some(c) => Ok(c),
            None => connect(&self.path),
        }
    }

    pub fn put(&self, conn: Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < POOL_SIZE {
            idle.push(conn);
        }
    }
}
