#!/usr/bin/python3
"""Populate a virtual Ganeti cluster with many instances at once, leaving the state that
Ganeti's own instance creation (`gnt-instance batch-create`) leaves, without its cost: one
job per instance, each writing the whole configuration, and every RPC a TLS connection to a
noded that forks a Python child to answer it.

Run by `dotnet vcluster up` inside the sandbox as the master node, with the installed
Ganeti's own library:

  populate.py create DEFINITIONS.json
      DEFINITIONS.json holds two instance definition lists in batch-create's format (lists of
      OpInstanceCreate fields, docs/man gnt-instance): "pinned" (each with its primary node)
      and "placed" (for the allocator named by "iallocator"). Each list becomes the opcode
      `gnt-instance batch-create` submits (OpInstanceMultiAlloc, built by the same code), and
      Ganeti's own logical units run in this process, as the master's job processes would run
      them: LUInstanceMultiAlloc places the instances with hail, LUInstanceCreate creates each,
      checks and all. Every change goes to the configuration in one write (one
      ConfigManager block), which wconfd distributes as after any change.

  populate.py serve
      A node's side (started through the node's own cmd, so with its identity, tree and
      mounts): noded's own request handler (NodeRequestHandler.HandleRequest) answering RPCs
      read from standard input, one after another, in one process. The master's side sends
      each RPC here instead of over TLS to the node's noded, which forks for every request.

What differs from the job way and why (docs/instances.md): no job is created (the opcodes
run here, not in the job queue), hooks are not run (a virtual cluster has none installed:
every hooks RPC would run no script on any node), and Ganeti's locks are not taken (the
exclusive configuration lock is held throughout, so no other job can change what the logical
units read).
"""

import json
import logging
import os
import shlex
import struct
import subprocess
import sys
import threading
import time
import types

from ganeti import config
from ganeti import constants
from ganeti import errors
from ganeti import http
from ganeti.http import client as _http_client  # noqa: F401  (http.client.ProcessRequests)
from ganeti import locking
from ganeti import objects
from ganeti import opcodes
from ganeti import pathutils
from ganeti import serializer
from ganeti import ssconf
from ganeti import utils
from ganeti import vcluster


class PopulateError(errors.GenericError):
  pass


# ------------------------------------------------------------------------- framing
# A request is "procedure NUL body", an answer noded's response body; each is sent as a
# 4-byte big-endian length and the bytes.

def _WriteFrame(stream, payload):
  stream.write(struct.pack(">I", len(payload)))
  stream.write(payload)
  stream.flush()


def _ReadFrame(stream):
  header = stream.read(4)
  if len(header) < 4:
    return None
  (length, ) = struct.unpack(">I", header)
  payload = stream.read(length)
  if len(payload) < length:
    return None
  return payload


# ------------------------------------------------------------------------- node side

def Serve():
  """noded's request handler for RPCs on standard input, as the node runs it."""
  from ganeti.server import noded
  # As noded daemonizes (utils.process.SetupDaemonEnv): every file it makes has its modes.
  os.chdir("/")
  os.umask(0o77)
  utils.SetupLogging(pathutils.GetLogFilename("node-daemon"), "vcluster-populate",
                     debug=False, stderr_logging=False)
  handler = noded.NodeRequestHandler()
  stdin = sys.stdin.buffer
  stdout = sys.stdout.buffer
  _WriteFrame(stdout, b"ready")
  while True:
    frame = _ReadFrame(stdin)
    if frame is None:
      return 0
    (procedure, body) = frame.split(b"\0", 1)
    request = types.SimpleNamespace(request_method=http.HTTP_POST,
                                    request_path="/" + procedure.decode("ascii"),
                                    request_body=body.decode("utf-8"))
    started = time.time()
    answer = handler.HandleRequest(request)
    logging.info("RPC %s %.1f ms", request.request_path, (time.time() - started) * 1000)
    _WriteFrame(stdout, answer if isinstance(answer, bytes) else answer.encode("utf-8"))


# ------------------------------------------------------------------------- master side

class Agent(object):
  """A node's serve process, started through the node's own cmd."""

  def __init__(self, name, cmd):
    self.name = name
    script = os.path.abspath(__file__)
    # Anything it writes to its standard error goes where noded's output goes: the node's log.
    self._log = open(vcluster.ExchangeNodeRoot(name, pathutils.GetLogFilename("node-daemon")), "ab")
    self._process = subprocess.Popen(
      [cmd, "exec %s %s serve" % (shlex.quote(sys.executable), shlex.quote(script))],
      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, close_fds=True)
    self._ready = False

  def WaitReady(self):
    if not self._ready:
      if _ReadFrame(self._process.stdout) != b"ready":
        raise PopulateError("node %s: its populate agent did not start (see its"
                            " var/log/ganeti/node-daemon.log)" % self.name)
      self._ready = True

  def Send(self, procedure, body):
    if not isinstance(body, bytes):
      body = body.encode("utf-8")
    _WriteFrame(self._process.stdin, procedure.encode("ascii") + b"\0" + body)

  def Receive(self):
    answer = _ReadFrame(self._process.stdout)
    if answer is None:
      raise PopulateError("node %s: its populate agent ended" % self.name)
    return answer

  def Close(self):
    """Ends the agent (its standard input closes); Wait reaps it."""
    self._process.stdin.close()

  def Wait(self):
    self._process.wait()
    self._log.close()


class Agents(object):
  """The master's side of the RPCs: rpc.RpcRunner's request processor. A request to one node
  (every RPC of an instance's creation) goes to that node's agent; a request to several at once
  (the allocator's queries of every node) goes over Ganeti's own transport, TLS to each noded,
  as a job's would: an agent's start (Python importing Ganeti, 0.3 s) costs more than a few
  RPCs. Agents are started ahead of use, in the order the nodes are worked on, and ended when
  their node is done, so that only a few exist at once."""

  # Nodes whose agents start ahead of the one being worked on: their imports use the other
  # core while this process works.
  AHEAD = 2

  def __init__(self, cfg, node_cmds):
    self._cfg = cfg
    self._node_cmds = node_cmds
    self._agents = {}
    self._ended = []
    self._address_to_node = None
    self.calls = {}
    self.over_tls = {}

  def Start(self, names):
    for name in names:
      if name not in self._agents:
        self._agents[name] = Agent(name, self._node_cmds[name])

  def WorkOn(self, upcoming):
    """The nodes to be worked on next, in order: ends the agents of those done, starts the
    next few."""
    keep = set(upcoming[:self.AHEAD + 1])
    for name in [n for n in self._agents if n not in keep]:
      agent = self._agents.pop(name)
      agent.Close()
      self._ended.append(agent)
    self.Start(upcoming[:self.AHEAD + 1])

  def _Get(self, name):
    self.Start([name])
    agent = self._agents[name]
    agent.WaitReady()
    return agent

  def _NodeByAddress(self, address):
    if self._address_to_node is None:
      self._address_to_node = {}
      for node in self._cfg.GetAllNodesInfo().values():
        self._address_to_node[node.primary_ip] = node.name
        self._address_to_node[node.name] = node.name
    try:
      return self._address_to_node[address]
    except KeyError:
      raise PopulateError("no node has address %s" % address)

  def Process(self, requests, lock_monitor_cb=None):
    if len(requests) > 1:
      for request in requests:
        procedure = request.path.lstrip("/")
        self.over_tls[procedure] = self.over_tls.get(procedure, 0) + 1
      http.client.ProcessRequests(requests, lock_monitor_cb=lock_monitor_cb)
      return
    for request in requests:
      procedure = request.path.lstrip("/")
      self.calls[procedure] = self.calls.get(procedure, 0) + 1
      agent = self._Get(self._NodeByAddress(request.host))
      agent.Send(procedure, request.post_data)
      request.resp_body = agent.Receive()
      request.resp_status_code = http.HTTP_OK
      request.success = True

  def Close(self):
    for agent in self._agents.values():
      agent.Close()
    for agent in self._ended + list(self._agents.values()):
      agent.Wait()
    self._agents = {}
    self._ended = []


class BatchedWConfd(object):
  """wconfd as the configuration writer sees it while populating. In Ganeti 3.0 every
  configuration change a logical unit makes is an RPC to wconfd, which applies it, writes the
  whole configuration and distributes it: a few writes per instance, each of a configuration
  that grows with the instances. Here the changes instance creation makes are applied as
  wconfd applies them (src/Ganeti/WConfd/ConfigModifications.hs of Ganeti 3.0.2: addInstance,
  addInstanceDisk, updateInstance, setInstanceStatus), to the configuration this process holds
  locked, which goes to wconfd in one write when the lock is released. Everything else
  (reservations of MACs, the lock itself, verification) is wconfd's, unchanged; any other
  change is refused, so that nothing is silently done otherwise than wconfd does it."""

  _UNSUPPORTED = frozenset(["AttachInstanceDisk", "DetachInstanceDisk", "RemoveInstanceDisk", "RemoveInstance",
                            "SetInstancePrimaryNode", "UpdateCluster", "UpdateNode", "UpdateNodeGroup",
                            "UpdateNetwork", "UpdateDisk", "AllocatePort", "AddTcpUdpPort", "AllocateDRBDMinor",
                            "GenerateIp", "ReserveIp", "ReserveLV", "CommitTemporaryIps"])

  def __init__(self, real, cfg):
    self._real = real
    self._cfg = cfg
    self.calls = {}
    # What wconfd would hold of each object changed here, as it would send it on a re-read:
    # the logical units mutate the objects the configuration hands out, which in Ganeti are
    # always fresh copies (every change outdates the configuration writer's copy).
    self._canonical = {}
    self._touched = set()

  def __getattr__(self, name):
    if name in self._UNSUPPORTED:
      raise PopulateError("wconfd's %s is not done in bulk; create these instances with --populate jobs" % name)
    self.calls[name] = self.calls.get(name, 0) + 1
    return getattr(self._real, name)

  def _Data(self):
    return self._cfg._ConfigData()  # pylint: disable=W0212

  _KINDS = {"instances": objects.Instance, "disks": objects.Disk}

  def _Current(self, kind, uuid):
    """The object as wconfd holds it."""
    if uuid in self._canonical:
      return self._KINDS[kind].FromDict(self._canonical[uuid])
    current = getattr(self._Data(), kind).get(uuid)
    return None if current is None else self._KINDS[kind].FromDict(current.ToDict())

  def _Store(self, kind, obj):
    """What wconfd holds from now on; the configuration writer gets a fresh copy of it."""
    self._canonical[obj.uuid] = obj.ToDict()
    self._touched.add((kind, obj.uuid))
    getattr(self._Data(), kind)[obj.uuid] = self._KINDS[kind].FromDict(self._canonical[obj.uuid])

  def Settle(self):
    """After a logical unit: what it changed on objects it was handed, without telling wconfd,
    is dropped, as the next read of the configuration would drop it."""
    for (kind, uuid) in self._touched:
      getattr(self._Data(), kind)[uuid] = self._KINDS[kind].FromDict(self._canonical[uuid])
    self._touched = set()

  def Track(self):
    """From here on, the sets wconfd and the configuration writer compute from every object
    (all UUIDs, all MACs) for each new one are kept up to date as objects are added: the same
    sets, not rebuilt for every instance."""
    data = self._Data()
    self._ids = self._cfg._AllIDs(include_temporary=False)  # pylint: disable=W0212
    self._macs = set(nic.mac for inst in data.instances.values() for nic in inst.nics)
    temporary = self._cfg._temporary_ids  # pylint: disable=W0212
    self._cfg._AllIDs = lambda include_temporary: (self._ids | temporary.GetReserved()) if include_temporary else self._ids

  def _AllIds(self):
    return self._ids

  def AddInstance(self, inst_dict, _context, replace):
    data = self._Data()
    inst = objects.Instance.FromDict(inst_dict)
    in_use = set(nic.mac for nic in inst.nics) & self._macs
    if in_use:
      raise errors.ConfigurationError("Cannot add instance %s; MAC addresses %s already in use" % (inst.name, sorted(in_use)))
    if (inst.uuid in self._AllIds()) != bool(replace):
      raise errors.ConfigurationError("Cannot add %s: UUID %s %s" % (inst.name, inst.uuid, "not present" if replace else "already in use"))
    now = time.time()
    inst.ctime = now
    inst.mtime = now
    self._Store("instances", inst)
    self._ids.add(inst.uuid)
    self._ids.update(nic.uuid for nic in inst.nics if nic.uuid)
    self._macs.update(nic.mac for nic in inst.nics)
    return True

  def AddInstanceDisk(self, inst_uuid, disk_dict, idx, replace):
    data = self._Data()
    disk = objects.Disk.FromDict(disk_dict)
    if (disk.uuid in self._AllIds()) != bool(replace):
      raise errors.ConfigurationError("Cannot add disk %s: UUID %s" % (disk.uuid, "not present" if replace else "already in use"))
    now = time.time()
    self._Store("disks", disk)
    self._ids.add(disk.uuid)
    if disk.dev_type in constants.DTS_LVM:
      self._ids.update(self._cfg._AllLVs())  # pylint: disable=W0212
    data.serial_no += 1
    inst = self._Current("instances", inst_uuid)
    if idx is None:
      idx = len(inst.disks)
    if idx < 0 or idx > len(inst.disks):
      raise errors.GenericError("Got disk index %d, but there are only %d" % (idx, len(inst.disks)))
    inst.disks = inst.disks[:idx] + [disk.uuid] + inst.disks[idx:]
    inst.serial_no += 1
    inst.mtime = now
    self._Store("instances", inst)
    for (index, uuid) in enumerate(inst.disks[idx:], idx):
      attached = self._Current("disks", uuid)
      attached.iv_name = "disk/%d" % index
      self._Store("disks", attached)
    return True

  def UpdateInstance(self, inst_dict):
    target = objects.Instance.FromDict(inst_dict)
    current = self._Current("instances", target.uuid)
    if current is None:
      raise errors.ConfigurationError("Configuration object unknown")
    now = time.time()
    # updateConfigIfNecessary: isIdentical compares the current object with the target one
    # serial ahead, both at the same time.
    ahead = objects.Instance.FromDict(target.ToDict())
    ahead.serial_no += 1
    ahead.mtime = now
    same = objects.Instance.FromDict(current.ToDict())
    same.mtime = now
    if same.ToDict() == ahead.ToDict():
      return (current.serial_no, current.mtime)
    if target.serial_no != current.serial_no:
      raise errors.ConfigurationError("Configuration object updated since it has been read: %d != %d"
                                      % (current.serial_no, target.serial_no))
    target.serial_no += 1
    target.mtime = now
    self._Store("instances", target)
    return (target.serial_no, now)

  def SetInstanceStatus(self, inst_uuid, admin_state, disks_active, admin_state_source):
    current = self._Current("instances", inst_uuid)
    if current is None:
      raise errors.ConfigurationError("Could not find instance with UUID %s" % inst_uuid)
    changed = objects.Instance.FromDict(current.ToDict())
    if admin_state is not None:
      changed.admin_state = admin_state
    if disks_active is not None:
      changed.disks_active = disks_active
    if admin_state_source is not None:
      changed.admin_state_source = admin_state_source
    if changed.ToDict() != current.ToDict():
      changed.serial_no += 1
      changed.mtime = time.time()
      self._Store("instances", changed)
    return self._canonical.get(inst_uuid, current.ToDict())


class Processor(object):
  """What a logical unit asks of mcpu's processor, for opcodes run outside a job."""

  def __init__(self, ec_id):
    self._ec_id = ec_id

  def GetECId(self):
    return self._ec_id

  def Log(self, *args):
    logging.info(*args)

  def LogWarning(self, message, *args, **kwargs):
    if args:
      message = message % args
    print("warning: %s" % message, flush=True)

  def LogInfo(self, message, *args):
    logging.info(message, *args)

  def LogStep(self, current, total, message):
    logging.info("step %s/%s: %s", current, total, message)


def _AllLocks(cfg):
  """Every node, node resource, group and network lock, as mcpu records the locks it acquired
  for a logical unit (each by name; the instance's own lock is its add_locks)."""
  levels = [(locking.LEVEL_NODE, cfg.GetNodeList()), (locking.LEVEL_NODE_RES, cfg.GetNodeList()),
            (locking.LEVEL_NODEGROUP, cfg.GetNodeGroupList()), (locking.LEVEL_NETWORK, cfg.GetNetworkList())]
  return [["%s/%s" % (locking.LEVEL_NAMES[level], name), "exclusive"] for (level, names) in levels for name in names]


def _ReleaseLocks(lu, level, names=None, keep=None):
  """instance_utils.ReleaseLocks, releasing from the logical unit's record of its locks what
  it would ask wconfd to release (the locks here are not wconfd's: the configuration lock,
  held throughout, stands for them)."""
  assert not (keep is not None and names is not None)
  if names is not None:
    should_release = names.__contains__
  elif keep:
    should_release = lambda name: name not in keep
  else:
    should_release = lambda name: True
  prefix = "%s/" % locking.LEVEL_NAMES[level]
  lu.wconfdlocks = [lock for lock in lu.wconfdlocks
                    if not (lock[0].startswith(prefix) and should_release(lock[0][len(prefix):]))]


def _PatchLockRelease():
  from ganeti.cmdlib import instance_create
  from ganeti.cmdlib import instance_storage
  from ganeti.cmdlib import instance_utils
  for module in (instance_create, instance_storage, instance_utils):
    module.ReleaseLocks = _ReleaseLocks


def RunOpcode(lu_class, op, cfg, runner, processor, wconfdcontext, feedback):
  """mcpu's sequence for one opcode (Processor._ExecLU, without hooks and locking)."""
  try:
    lu = lu_class(processor, op, cfg, runner, wconfdcontext, None)
    lu.ExpandNames()
    lu.wconfdlocks = _AllLocks(cfg)
    lu.CheckPrereq()
    return lu.Exec(feedback)
  finally:
    cfg._wconfd.Settle()  # pylint: disable=W0212


def Create(definitions_file):
  from ganeti.cmdlib import instance as cmdlib_instance
  from ganeti.cmdlib import instance_create
  from ganeti.rpc import node as rpc_node

  definitions = serializer.LoadJson(utils.ReadFile(definitions_file))
  # As a job process, a child of the daemonized luxid, runs the logical units.
  os.chdir("/")
  os.umask(0o77)
  _PatchLockRelease()
  livelock = utils.livelock.LiveLock("vcluster_populate")
  ec_id = "vcluster-populate-%d" % os.getpid()
  created = []
  agents = None
  try:
    cfg = config.GetConfig(None, livelock)
    wconfd = BatchedWConfd(cfg._wconfd, cfg)  # pylint: disable=W0212
    cfg._wconfd = wconfd  # pylint: disable=W0212
    # The configuration stays this process's until the lock goes: nothing is re-read from wconfd.
    cfg.OutDate = lambda: None
    agents = Agents(cfg, definitions["nodes"])
    runner = rpc_node.RpcRunner(cfg, None, _req_process_fn=agents.Process)
    processor = Processor(ec_id)
    wconfdcontext = config.GetWConfdContext(ec_id, livelock)
    clock = time.time()

    def Feedback(message, *args):
      logging.info(str(message), *args)

    def Batch(instances, iallocator):
      """gnt-instance batch-create: the opcodes it builds from the definitions, run here."""
      ops = []
      for inst in instances:
        op = opcodes.OpInstanceCreate(**inst)
        op.Validate(False)
        ops.append(op)
      multi = opcodes.OpInstanceMultiAlloc(iallocator=iallocator, instances=ops)
      result = RunOpcode(cmdlib_instance.LUInstanceMultiAlloc, multi, cfg, runner, processor, wconfdcontext, Feedback)
      failed = result.other.get(constants.FAILED_KEY, [])
      if failed:
        raise PopulateError("the allocator %s could not place %d instances: %s"
                            % (iallocator, len(failed), utils.CommaJoin(failed[:20])))
      print("placed %d instances (%.1f s)" % (len(result.jobs), time.time() - clock), flush=True)
      # Node by node (the instances are independent, and every placement is decided): each
      # node's agent serves all its instances in a row, and the next ones start meanwhile.
      ops = sorted((op for (op, ) in result.jobs), key=lambda op: op.pnode)
      nodes = []
      for op in ops:
        if not nodes or nodes[-1] != op.pnode:
          nodes.append(op.pnode)
      position = 0
      for op in ops:
        if op.pnode != nodes[position]:
          position += 1
        agents.WorkOn(nodes[position:])
        # Recorded first: one that fails part-way is undone with the others.
        created.append(op.instance_name)
        RunOpcode(instance_create.LUInstanceCreate, op, cfg, runner, processor, wconfdcontext, Feedback)
        if len(created) % 100 == 0:
          print("created %d instances (%.1f s)" % (len(created), time.time() - clock), flush=True)

    with cfg.GetConfigManager(shared=False):
      wconfd.Track()
      # Ganeti verifies the whole configuration after every update of an instance and reports
      # what it finds (ConfigWriter.Update, VerifyConfigAndLog); on a configuration that grows
      # with every instance, that is the square of their number. The same verification runs
      # once, on the final configuration, before it is written.
      verify = cfg.VerifyConfigAndLog
      cfg.VerifyConfigAndLog = lambda feedback_fn=None: []
      try:
        if definitions["pinned"]:
          Batch(definitions["pinned"], None)
        if definitions["placed"]:
          Batch(definitions["placed"], definitions["iallocator"])
      except BaseException:
        # The configuration is not written (the lock goes without it): what the nodes did for
        # the instances created so far is undone, so nothing is left half-made.
        Undo(cfg, runner, processor, created)
        raise
      finally:
        cfg.VerifyConfigAndLog = verify
      for problem in cfg.VerifyConfigAndLog():
        print("warning: configuration verification: %s" % problem, flush=True)
      print("writing the configuration with %d new instances (%.1f s)" % (len(created), time.time() - clock), flush=True)
    print("RPCs answered by the nodes' agents: %s" % ", ".join("%s %d" % c for c in sorted(agents.calls.items())), flush=True)
    if agents.over_tls:
      print("RPCs to several nodes at once, over TLS to their noded: %s" % ", ".join("%s %d" % c for c in sorted(agents.over_tls.items())), flush=True)
    print("wconfd calls: %s" % ", ".join("%s %d" % c for c in sorted(wconfd.calls.items())), flush=True)
    WaitForDistribution(created)
    print("created %d instances (%.1f s)" % (len(created), time.time() - clock), flush=True)
  finally:
    if agents is not None:
      agents.Close()
    livelock.close()


def Undo(cfg, runner, processor, created):
  """Undoes on the nodes what creating the instances CREATED did, as LUInstanceRemove does it
  (instance_utils: shut the instance down, RemoveDisks), for a failure after some of them."""
  from ganeti.cmdlib import instance_utils
  lu = types.SimpleNamespace(cfg=cfg, rpc=runner, LogWarning=processor.LogWarning, LogInfo=processor.LogInfo)
  undone = []
  for name in reversed(created):
    (uuid, _) = cfg.ExpandInstanceName(name)
    if uuid is None:
      continue
    undone.append(name)
    instance = cfg.GetInstanceInfo(uuid)
    try:
      runner.call_instance_shutdown(instance.primary_node, instance, 0, ["vcluster:populate", "undo", 0])
      instance_utils.RemoveDisks(lu, instance, ignore_failures=True)
    except Exception as err:  # pylint: disable=W0703
      print("warning: could not undo instance %s on its node: %s" % (name, err), flush=True)
  print("undid on their nodes what was done for: %s; the configuration is as before"
        % (utils.CommaJoin(sorted(undone)) or "none"), flush=True)


def WaitForDistribution(created, timeout=600):
  """wconfd distributes the written configuration and ssconf on its own, after the write
  returns: wait until every node's ssconf lists the new instances, so that what runs next
  (verify, the watcher) sees them."""
  if not created:
    return
  deadline = time.time() + timeout
  while True:
    store = ssconf.SimpleStore()
    listed = store.KeyToFilename(constants.SS_INSTANCE_LIST)
    behind = [n for n in store.GetNodeList()
              if not set(created) <= set(_ReadLines(vcluster.ExchangeNodeRoot(n, listed)))]
    if not behind:
      return
    if time.time() > deadline:
      raise PopulateError("wconfd did not distribute the new instances to: %s" % utils.CommaJoin(behind[:20]))
    time.sleep(0.2)


def _ReadLines(path):
  try:
    return utils.ReadFile(path).split()
  except EnvironmentError:
    return []


def main(argv):
  if len(argv) == 2 and argv[1] == "serve":
    return Serve()
  if len(argv) == 3 and argv[1] == "create":
    logging.basicConfig(level=logging.WARNING)
    try:
      profile = os.environ.get("VCLUSTER_POPULATE_PROFILE")
      if profile:
        import cProfile
        cProfile.runctx("Create(argv[2])", globals(), {"Create": Create, "argv": argv}, profile)
      else:
        Create(argv[2])
    except (errors.GenericError, errors.OpPrereqError, errors.OpExecError) as err:
      sys.stderr.write("populate: %s: %s\n" % (err.__class__.__name__, err))
      return 1
    return 0
  sys.stderr.write("usage: %s create DEFINITIONS.json | serve\n" % argv[0])
  return 2


if __name__ == "__main__":
  sys.exit(main(sys.argv))
