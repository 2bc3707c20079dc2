//! What the operating system allows the server: open files (every connection
//! is one) and free space where runs are stored.

use std::path::Path;

/// File descriptors kept out of the connection limit's reach: the runs
/// folder's files, the agents' pipes, log files, DNS and GitHub sockets.
pub const FD_RESERVE: u64 = 128;

/// The connection limit when the file-descriptor limit allows more: beyond
/// this many concurrent connections an internal API is being flooded, and
/// each connection costs buffers (up to [`super::listener::MAX_BUF_SIZE`]).
pub const DEFAULT_MAX_CONNECTIONS: usize = 8192;

/// Raises the soft `RLIMIT_NOFILE` to the hard limit (the most an
/// unprivileged process may ask for) and answers the soft limit in force
/// afterwards; `None` where it is unlimited or cannot be read. A refusal
/// leaves the limit as it was: the connection limit is then derived from it.
pub fn raise_nofile_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
        let limit = getrlimit(Resource::Nofile);
        let soft = limit.current?;
        // An unlimited hard limit still has a kernel ceiling (`nr_open`,
        // 1,048,576 by default on Linux): ask for that much.
        let target = limit.maximum.unwrap_or(1 << 20);
        if soft >= target {
            return Some(soft);
        }
        let raised = Rlimit {
            current: Some(target),
            maximum: limit.maximum,
        };
        match setrlimit(Resource::Nofile, raised) {
            Ok(()) => Some(target),
            Err(error) => {
                tracing::debug!(%error, soft, target, "could not raise the open-files limit");
                Some(soft)
            }
        }
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The connection limit for a soft file-descriptor limit of `soft_fd_limit`:
/// `configured` (`PASS_MAX_CONNECTIONS`) when it fits, else the limit minus
/// [`FD_RESERVE`] (half the limit when that is small), at most
/// [`DEFAULT_MAX_CONNECTIONS`] unless configured higher. Answers the limit
/// and, when `configured` did not fit, why it was lowered.
pub fn connection_limit(
    configured: Option<usize>,
    soft_fd_limit: Option<u64>,
) -> (usize, Option<String>) {
    let room = soft_fd_limit.map(|soft| {
        let room = if soft > 2 * FD_RESERVE {
            soft - FD_RESERVE
        } else {
            soft / 2
        };
        usize::try_from(room).unwrap_or(usize::MAX).max(1)
    });
    match (configured, room) {
        (Some(wanted), Some(room)) if wanted > room => (
            room,
            Some(format!(
                "PASS_MAX_CONNECTIONS={wanted} does not fit under the open-files limit ({}) with {FD_RESERVE} kept for files and agents; using {room}",
                soft_fd_limit.unwrap_or_default()
            )),
        ),
        (Some(wanted), _) => (wanted, None),
        (None, Some(room)) => (room.min(DEFAULT_MAX_CONNECTIONS), None),
        (None, None) => (DEFAULT_MAX_CONNECTIONS, None),
    }
}

/// The file system holding a folder, as `/healthz` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskStatus {
    /// Bytes an unprivileged process may still write.
    pub available_bytes: u64,
    /// Why the folder cannot be written to (read-only mount, permissions).
    pub not_writable: Option<String>,
}

/// Free space and writability of `dir`'s file system; `None` where this
/// platform cannot tell. Blocking: call it off the async threads.
pub fn disk_status(dir: &Path) -> Option<DiskStatus> {
    #[cfg(unix)]
    {
        use rustix::fs::{Access, StatVfsMountFlags, access, statvfs};
        let stats = statvfs(dir).ok()?;
        let available_bytes = stats.f_bavail.saturating_mul(stats.f_frsize);
        let not_writable = if stats.f_flag.contains(StatVfsMountFlags::RDONLY) {
            Some("its file system is mounted read-only".to_owned())
        } else {
            access(dir, Access::WRITE_OK | Access::EXEC_OK)
                .err()
                .map(|e| std::io::Error::from(e).to_string())
        };
        Some(DiskStatus {
            available_bytes,
            not_writable,
        })
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_leaves_a_reserve_under_the_file_limit() {
        assert_eq!(connection_limit(None, Some(1024)), (896, None));
        assert_eq!(connection_limit(None, Some(512)), (384, None));
        assert_eq!(connection_limit(None, Some(200)), (100, None));
        assert_eq!(
            connection_limit(None, Some(1 << 20)),
            (DEFAULT_MAX_CONNECTIONS, None)
        );
        assert_eq!(
            connection_limit(None, None),
            (DEFAULT_MAX_CONNECTIONS, None)
        );
        assert_eq!(connection_limit(Some(50), Some(1024)), (50, None));
        assert_eq!(
            connection_limit(Some(20_000), Some(1 << 20)),
            (20_000, None)
        );
        let (limit, why) = connection_limit(Some(5000), Some(1024));
        assert_eq!(limit, 896);
        assert!(why.unwrap().contains("PASS_MAX_CONNECTIONS=5000"));
    }

    #[test]
    fn the_open_files_limit_is_at_least_what_it_was() {
        #[cfg(unix)]
        {
            let before = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
            let after = raise_nofile_limit();
            assert!(after >= before, "{after:?} < {before:?}");
        }
    }

    #[test]
    fn the_temp_folder_has_a_disk_status() {
        #[cfg(unix)]
        {
            let status = disk_status(&std::env::temp_dir()).unwrap();
            assert!(status.available_bytes > 0);
        }
    }
}
