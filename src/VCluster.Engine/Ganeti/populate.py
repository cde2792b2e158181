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


import logging
import os
import sys
import time
import types

from ganeti import config
from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import opcodes
from ganeti import serializer
from ganeti import ssconf
from ganeti import utils
from ganeti import vcluster


from populate_agents import Agents, PopulateError, Serve
from populate_wconfd import BatchedWConfd


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
