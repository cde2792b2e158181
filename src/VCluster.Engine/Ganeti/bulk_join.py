#!/usr/bin/python3
"""Bulk join of a virtual Ganeti cluster: many nodes enter a fresh cluster at once, leaving
the state that one `gnt-node add` per node leaves, without its cost (every add sends a
handful of RPCs to every node already in the cluster, so the adds together cost the square
of the cluster's size).

Run by `dotnet vcluster up` inside the sandbox as the master node, with the installed
Ganeti's own library. Between the first two steps the tool starts each new node's daemons,
as node-daemon-setup does at the end of its work.

  bulk_join.py prepare NODE...    for each NODE, what `gnt-node add` runs on it through ssh
                                  (bootstrap.SetupNodeDaemon): the version links, then
                                  node-daemon-setup's files: ssconf, confd HMAC key, cluster
                                  certificate, a new client certificate
  bulk_join.py add NODE...        LUNodeAdd's changes to the configuration for every NODE, in
                                  one configuration write through wconfd: the node objects,
                                  master candidacy (_DecideSelfPromotion), candidate
                                  certificate digests; wconfd distributes the configuration
                                  and ssconf as after any change, and the step waits for it
  bulk_join.py distribute NODE... what LUNodeAdd's RedistributeAncillaryFiles uploads to the
                                  nodes (known hosts, HMAC key, cluster domain secret, RAPI
                                  and SPICE certificates, RAPI users), written as each node's
                                  noded writes an upload (backend.UploadFile)

Where Ganeti would ssh or RPC to a node, this writes into the node's tree directly (every
node lives on this machine; vcluster.ExchangeNodeRoot names a path in another node's tree),
with the function the node itself would have called.
"""

import multiprocessing
import os
import sys
import time

from ganeti import backend
from ganeti import config
from ganeti import constants
from ganeti import errors
from ganeti import netutils
from ganeti import objects
from ganeti import pathutils
from ganeti import runtime
from ganeti import serializer
from ganeti import ssh
from ganeti import ssconf
from ganeti import utils
from ganeti import vcluster
from ganeti.cmdlib import common as cmdlib_common
from ganeti.cmdlib import node as cmdlib_node
from ganeti.rpc import node as rpc_node
from ganeti.tools import common
from ganeti.tools import node_daemon_setup


class BulkJoinError(errors.GenericError):
  pass


def SetupData(cluster_name, node):
  """What bootstrap.SetupNodeDaemon sends to the new node's node-daemon-setup, as it arrives
  there (through JSON on ssh's standard input)."""
  data = {
    constants.NDS_CLUSTER_NAME: cluster_name,
    constants.NDS_NODE_DAEMON_CERTIFICATE: utils.ReadFile(pathutils.NODED_CERT_FILE),
    constants.NDS_HMAC: utils.ReadFile(pathutils.CONFD_HMAC_KEY),
    constants.NDS_SSCONF: ssconf.SimpleStore().ReadAll(),
    constants.NDS_START_NODE_DAEMON: True,
    constants.NDS_NODE_NAME: node,
    }
  return common.LoadData(serializer.DumpJson(data), BulkJoinError)


def OnNode(node, argument):
  """An argument of a command the master builds, as the node runs it: the master names its
  own paths, which on hardware are the node's; the sandbox's ssh moves them into the node's
  tree (templates/cluster/ssh.sbn)."""
  if argument.startswith(_MASTER_ROOT + "/"):
    return vcluster.ExchangeNodeRoot(node, argument)
  return argument


_MASTER_ROOT = os.environ.get("GANETI_ROOTDIR", "")


def PrepareNode(args):
  """What `gnt-node add` runs on NODE through ssh, but for starting its daemons (the
  caller's): the commands that link the Ganeti version in use, then node_daemon_setup.Main's
  writes, into NODE's tree."""
  (cluster_name, node) = args
  at = lambda path: vcluster.ExchangeNodeRoot(node, path)
  # ssh.RunSshCmdWithStdin(..., ensure_version=True): these commands, then node-daemon-setup.
  for argv in ssh._EnsureCorrectGanetiVersion([pathutils.NODE_DAEMON_SETUP])[:-1]:
    result = utils.RunCmd([OnNode(node, a) for a in argv])
    if result.failed:
      raise BulkJoinError("%s on node %s failed: %s" % (" ".join(argv), node, result.output))

  getent = runtime.GetEnts()
  data = SetupData(cluster_name, node)
  name = common.VerifyClusterName(data, BulkJoinError, constants.NDS_CLUSTER_NAME)
  cert_pem = common.VerifyCertificateStrong(data, BulkJoinError)
  hmac_key = common.VerifyHmac(data, BulkJoinError)
  ssdata = node_daemon_setup.VerifySsconf(data, name)

  ssconf.SimpleStore(cfg_location=at(pathutils.DATA_DIR),
                     _lockfile=at(pathutils.SSCONF_LOCK_FILE)).WriteFiles(ssdata)
  utils.WriteFile(at(pathutils.CONFD_HMAC_KEY), data=hmac_key,
                  mode=pathutils.NODED_CERT_MODE,
                  uid=getent.masterd_uid, gid=getent.masterd_gid)
  utils.WriteFile(at(pathutils.NODED_CERT_FILE), data=cert_pem,
                  mode=pathutils.NODED_CERT_MODE,
                  uid=getent.masterd_uid, gid=getent.masterd_gid)
  common.GenerateClientCertificate(data, BulkJoinError,
                                   client_cert=at(pathutils.NODED_CLIENT_CERT_FILE),
                                   signing_cert=at(pathutils.NODED_CERT_FILE))
  return node


def Prepare(nodes):
  cluster_name = ssconf.SimpleStore().GetClusterName()
  # Each node gets a new RSA key for its client certificate: use every core.
  with multiprocessing.Pool(min(len(nodes), os.cpu_count() or 1)) as pool:
    for node in pool.imap_unordered(PrepareNode, [(cluster_name, n) for n in nodes]):
      print("prepared %s" % node, flush=True)


class _Lu(object):
  """What cmdlib_node._DecideSelfPromotion reads of a logical unit."""
  def __init__(self, cfg):
    self.cfg = cfg


def Add(nodes):
  livelock = utils.livelock.LiveLock("vcluster_bulk_join")
  ec_id = "vcluster-bulk-join-%d" % os.getpid()
  try:
    cfg = config.GetConfig(None, livelock)
    family = cfg.GetPrimaryIPFamily()
    with cfg.GetConfigManager(shared=False):
      for name in nodes:
        # LUNodeAdd.CheckArguments, CheckPrereq and Exec, for a new node that is master
        # and VM capable, single-homed like the master, in the default group.
        hostname = netutils.GetHostname(name=name, family=family)
        if cfg.GetNodeInfoByName(hostname.name) is not None:
          raise BulkJoinError("Node %s is already in the configuration" % hostname.name)
        candidate = cmdlib_node._DecideSelfPromotion(_Lu(cfg))
        node = objects.Node(name=hostname.name,
                            primary_ip=hostname.ip,
                            secondary_ip=hostname.ip,
                            master_candidate=candidate,
                            offline=False, drained=False,
                            group=cfg.LookupNodeGroup(None), ndparams={})
        node.powered = True
        node.master_capable = True
        node.vm_capable = True
        node.ndparams = {}
        cfg.AddNode(node, ec_id)
        # GetClientCertDigest asks the node for its client certificate's digest; the node
        # answers with this very function (backend.GetCryptoTokens).
        digest = utils.GetCertificateDigest(
          cert_filename=vcluster.ExchangeNodeRoot(hostname.name, pathutils.NODED_CLIENT_CERT_FILE))
        if candidate:
          cfg.AddNodeToCandidateCerts(node.uuid, digest)
        else:
          cfg.RemoveNodeFromCandidateCerts(node.uuid, warn_fn=None)
        print("added %s%s" % (hostname.name, " (master candidate)" if candidate else ""), flush=True)
    WaitForDistribution(cfg, nodes)
  finally:
    livelock.close()


def WaitForDistribution(cfg, nodes, timeout=600, settle=30):
  """wconfd distributes a written configuration on its own, after the write returns: wait
  until every node's ssconf lists every node and every master candidate holds the master's
  configuration, so that the daemons started next find them.

  wconfd distributes once per change and only logs a node it could not reach ("Can't
  distribute Ssconf"). With hundreds of node daemons on a few cores, a cluster-wide RPC makes
  each fork and shake hands at once; with noded's own 10 s handshake timeout
  (http.server.HttpServerRequestExecutor) a share of them failed on every try (250 nodes on two
  cores: about 100 of 250). The node package now raises that timeout (docs/design.md, "Time on
  a shared machine") and no connection has failed since; this stays for a distribution that
  still misses a node. After `settle` seconds, a node still behind gets what wconfd sent
  it, written with the function its noded would have called (ssconf.WriteSsconfFiles for
  write_ssconf_files, backend.UploadFile for upload_file_single): the master's own ssconf and
  configuration, which wconfd wrote to the master in the same distribution. If the master's
  own ssconf is behind, only wconfd can compute it: ask it to distribute again
  (FlushConfig, as `gnt-debug wconfd flushconfig` does)."""
  deadline = time.time() + timeout
  settle_at = time.time() + settle
  while True:
    store = ssconf.SimpleStore()
    names = sorted(store.GetNodeList())
    config_data = utils.ReadFile(pathutils.CLUSTER_CONF_FILE)
    master_behind = sorted(set(nodes) - set(names))
    ssconf_behind = [n for n in nodes
                     if sorted(utils.ReadFile(vcluster.ExchangeNodeRoot(n, store.KeyToFilename(constants.SS_NODE_LIST))).split()) != names]
    config_behind = [n for n in store.GetMasterCandidates() if n in nodes and
                     _ReadOrNone(vcluster.ExchangeNodeRoot(n, pathutils.CLUSTER_CONF_FILE)) != config_data]
    if not master_behind and not ssconf_behind and not config_behind:
      return
    if time.time() > deadline:
      raise BulkJoinError("wconfd did not distribute the configuration to: %s"
                          % ", ".join(sorted(set(master_behind + ssconf_behind + config_behind))))
    if time.time() > settle_at:
      if master_behind:
        print("the master's ssconf lacks %d nodes: asking wconfd to distribute again" % len(master_behind), flush=True)
        cfg.FlushConfig()
      else:
        values = store.ReadAll()
        for name in ssconf_behind:
          ssconf.SimpleStore(cfg_location=vcluster.ExchangeNodeRoot(name, pathutils.DATA_DIR),
                             _lockfile=vcluster.ExchangeNodeRoot(name, pathutils.SSCONF_LOCK_FILE)).WriteFiles(values)
        UploadFile(pathutils.CLUSTER_CONF_FILE, config_behind, runtime.GetEnts())
        print("wconfd's distribution missed %d nodes' ssconf and %d candidates' configuration: written as their noded would"
              % (len(ssconf_behind), len(config_behind)), flush=True)
      settle_at = time.time() + settle
    time.sleep(0.2)


def _ReadOrNone(path):
  try:
    return utils.ReadFile(path)
  except EnvironmentError:
    return None


def Distribute(nodes):
  livelock = utils.livelock.LiveLock("vcluster_bulk_join")
  try:
    cfg = config.GetConfig(None, livelock)
    cluster = cfg.GetClusterInfo()
    master = cfg.GetMasterNodeName()
    online = [cfg.GetNodeName(u) for u in cfg.GetOnlineNodeList()]
    vm_capable = [cfg.GetNodeName(u) for u in cfg.GetVmCapableNodeList()]
  finally:
    livelock.close()
  getents = runtime.GetEnts()
  # RedistributeAncillaryFiles: every online node but the master gets files_all, the
  # VM-capable ones files_vm too; a file the master lacks is not sent (UploadHelper).
  (files_all, _, files_mc, files_vm) = cmdlib_common.ComputeAncillaryFiles(cluster, True)
  assert not files_mc
  filemap = [([n for n in nodes if n in online and n != master], files_all),
             ([n for n in nodes if n in online and n in vm_capable and n != master], files_vm)]
  for (names, files) in filemap:
    for fname in files:
      if not os.path.exists(fname):
        continue
      UploadFile(fname, names, getents)
      print("distributed %s to %d nodes" % (fname, len(names)), flush=True)


def UploadFile(fname, names, getents):
  """What call_upload_file sends (rpc), and what each node's noded does with it."""
  (_, data, mode, user, group, atime, mtime) = rpc_node._PrepareFileUpload(None, None, fname)
  raw = backend._Decompress(data)
  uid = getents.LookupUser(user)
  gid = getents.LookupGroup(group)
  for name in names:
    target = vcluster.ExchangeNodeRoot(name, fname)
    utils.SafeWriteFile(target, None, data=raw, mode=mode, uid=uid, gid=gid, atime=atime, mtime=mtime)


def main(argv):
  steps = {"prepare": Prepare, "add": Add, "distribute": Distribute}
  if len(argv) < 2 or argv[1] not in steps:
    sys.stderr.write("usage: %s prepare|add|distribute NODE...\n" % argv[0])
    return 2
  if argv[2:]:
    steps[argv[1]](argv[2:])
  return 0


if __name__ == "__main__":
  sys.exit(main(sys.argv))
