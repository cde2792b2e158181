"""populate.py's configuration writer: the changes instance creation makes, applied as wconfd
applies them, to the configuration populate.py holds locked. See populate.py."""

import time

from ganeti import constants
from ganeti import errors
from ganeti import objects


from populate_agents import PopulateError


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
