# Reads what VCluster.Sdk needs to know about one Ganeti installation and prints it as JSON.
# Run once per installation (the engine caches the result), never once per node.
# argv[1]: the installation's versioned Python directory (e.g. /usr/share/ganeti/3.0).
import json
import os
import sys

sys.path.insert(0, sys.argv[1])
sys.dont_write_bytecode = True
for var in ("GANETI_ROOTDIR", "GANETI_HOSTNAME"):
    os.environ.pop(var, None)

from ganeti import _constants, constants, pathutils, runtime  # noqa: E402
from ganeti.tools import ensure_dirs  # noqa: E402


class _AnyIds(object):
    """Stands in for runtime.GetEnts(): the gnt-* users need not exist on the build machine."""

    def __getattr__(self, name):
        return 0


runtime.GetEnts = lambda *args, **kwargs: _AnyIds()


def _jsonable(value):
    if isinstance(value, (frozenset, set)):
        return sorted(_jsonable(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(type(value).__name__)


autoconf = {}
for name in dir(_constants):
    if name.isupper():
        try:
            autoconf[name] = _jsonable(getattr(_constants, name))
        except TypeError:
            pass  # compiled regexes and the like: not needed by templates

paths = []
for entry in ensure_dirs.GetPaths():
    (path, kind, mode) = entry[0:3]
    kind_name = {ensure_dirs.DIR: "dir", ensure_dirs.FILE: "file",
                 ensure_dirs.QUEUE_DIR: "queue"}[kind]
    paths.append({"path": path, "kind": kind_name, "mode": mode,
                  "mustExist": bool(entry[5]) if kind == ensure_dirs.FILE else False})

json.dump({
    "python": "%d.%d" % sys.version_info[0:2],
    "version": "%d.%d.%d" % (constants.VERSION_MAJOR, constants.VERSION_MINOR,
                             constants.VERSION_REVISION),
    "constants": autoconf,
    "ensureDirs": paths,
    "paths": {"dataDir": pathutils.DATA_DIR, "runDir": pathutils.RUN_DIR,
              "logDir": pathutils.LOG_DIR, "socketDir": pathutils.SOCKET_DIR,
              "confFile": pathutils.CLUSTER_CONF_FILE,
              "querySocket": pathutils.QUERY_SOCKET,
              "masterSocket": pathutils.MASTER_SOCKET,
              "fileStoragePathsFile": pathutils.FILE_STORAGE_PATHS_FILE,
              "daemonUtil": pathutils.DAEMON_UTIL,
              "confdHmacKey": pathutils.CONFD_HMAC_KEY,
              "rapiUsersFile": pathutils.RAPI_USERS_FILE,
              "defaultFileStorageDir": pathutils.DEFAULT_FILE_STORAGE_DIR,
              "defaultSharedFileStorageDir": pathutils.DEFAULT_SHARED_FILE_STORAGE_DIR,
              "exportDir": pathutils.EXPORT_DIR,
              "lockDir": pathutils.LOCK_DIR,
              "backupDir": pathutils.BACKUP_DIR},
}, sys.stdout, sort_keys=True)
