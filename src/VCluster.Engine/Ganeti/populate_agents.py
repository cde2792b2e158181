"""populate.py's node side and its way to the nodes: each node's agent (`populate.py serve`,
noded's own request handler in one process) and the master's handles on them. See populate.py."""

import logging
import os
import shlex
import struct
import subprocess
import sys
import time
import types

from ganeti import errors
from ganeti import http
from ganeti.http import client as _http_client  # noqa: F401  (http.client.ProcessRequests)
from ganeti import pathutils
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
    # populate.py, beside this module, is what a node runs ("serve").
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "populate.py")
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
