"""Runs Ganeti 3.0.2's own LVM code against vcluster's user-space LVM (templates/cluster/lvm.sbn).

UserspaceLvmTests starts it with GANETI_ROOTDIR set to a temp folder (a 10 GiB disk as two PVs
in "xenvg", or "lvm": null with the argument "off") and the program's command symlinks first on
PATH. Every figure Ganeti parses is asserted here; the summary printed as JSON is asserted again
by the C# test.

Geometry: two PVs of 5 GiB each: 1 MiB metadata, then 1279 extents of 4 MiB = 5116 MiB.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, "/usr/share/ganeti/3.0")

from ganeti import backend, constants, errors, utils  # noqa: E402
from ganeti.storage import bdev, container  # noqa: E402

LV = bdev.LogicalVolume
VG = "xenvg"
PV0, PV1 = "/dev/vcluster/pv0", "/dev/vcluster/pv1"
PV_MIB = 5116.0
ROOT = os.environ["GANETI_ROOTDIR"]
summary = {}


def check(actual, expected, what):
    if actual != expected:
        raise AssertionError("%s: expected %r, got %r" % (what, expected, actual))
    return actual


def data_file(name):
    return os.path.join(ROOT, "lvm", "dev", VG, name)


def lvs(*fields):
    out = subprocess.run(["lvs", "--noheadings", "--separator=|", "--units=m", "--nosuffix",
                          "-o", ",".join(fields)], check=True, capture_output=True, text=True).stdout
    return [line.strip().split("|") for line in out.splitlines()]


def open_lv(name, params=None):
    return LV((VG, name), [], 0, params or {constants.LDP_STRIPES: 1}, {})


def pv_info(**kwargs):
    return [(p.name, p.vg_name, p.size, p.free, p.attributes, p.lv_list) for p in LV.GetPVInfo([VG], **kwargs)]


def expect_error(what, fn, *args):
    try:
        fn(*args)
    except (errors.GenericError, backend.RPCFail) as e:
        return str(e)
    raise AssertionError("%s did not fail" % what)


def excl_stor_vg_info():
    """GetVGInfo(excl_stor=True). Ganeti 3.0.2 asserts `es_free <= vg_free` with vg_free still the
    string LVM printed, a TypeError whatever LVM says (unless Python runs with -O): check that,
    then take the figures it would return from the same code with assertions off."""
    try:
        LV.GetVGInfo([VG], True)
        raise AssertionError("Ganeti's GetVGInfo(excl_stor=True) no longer compares float and str")
    except TypeError:
        pass
    return [(LV._GetExclusiveStorageVgFree(name), size, name) for free, size, name in LV.GetVGInfo([VG], False)]


def lvm_off():
    check(LV.GetVGInfo([VG], False), [], "GetVGInfo without a VG")
    check(LV.GetPVInfo([VG]), [], "GetPVInfo without a VG")
    check(utils.ListVolumeGroups(), {}, "ListVolumeGroups without a VG")
    check(backend.GetVolumeList([]), {}, "GetVolumeList without a VG")
    check(LV.GetLvGlobalInfo(), {}, "GetLvGlobalInfo without a VG")
    message = expect_error("Create without a VG", LV.Create, (VG, "disk0"), [], 1024, None,
                           {constants.LDP_STRIPES: 1}, False, {})
    check(message, "Can't compute PV info for vg xenvg", "Create without a VG")
    failed = expect_error("GetVolumeList of a missing VG", backend.GetVolumeList, [VG])
    check('Volume group "xenvg" not found' in failed, True, "GetVolumeList error: " + failed)
    summary.update(vgs=utils.ListVolumeGroups(), create_error=message)


def lvm_on():
    # Free space as Ganeti computes it, plain and with exclusive storage: the smallest PV less
    # PART_MARGIN and PART_RESERVED, per empty PV.
    check(LV.GetVGInfo([VG], False), [(10232.0, 10232.0, VG)], "GetVGInfo")
    std_pv = PV_MIB // (1 + constants.PART_MARGIN + constants.PART_RESERVED)
    check(std_pv, 4966.0, "standard PV size")
    check(excl_stor_vg_info(), [(2 * std_pv, 10232.0, VG)], "GetVGInfo with exclusive storage")
    check(pv_info(include_lvs=True), [(PV0, VG, PV_MIB, PV_MIB, "a--", []), (PV1, VG, PV_MIB, PV_MIB, "a--", [])],
          "GetPVInfo")
    check(utils.ListVolumeGroups(), {VG: 10232}, "ListVolumeGroups")

    # Exclusive storage: two spindles, so two stripes on the two empty PVs (1000 MiB = 125 extents each).
    disk1 = LV.Create((VG, "disk1"), [], 1000, 2, {constants.LDP_STRIPES: 1}, True, {})
    check((disk1.attached, disk1.stripe_count, disk1.pv_names, disk1.GetActualSpindles()),
          (True, 2, [PV0, PV1], 2), "striped LV with spindles")
    message = expect_error("Create without empty PVs", LV.Create, (VG, "diskx"), [], 100, 1,
                           {constants.LDP_STRIPES: 1}, True, {})
    check(message, "Not enough empty PVs (spindles) to create a disk of 100 MB: 0 available, 1 needed",
          "exclusive storage with no empty PV")
    # Linear (the PV with the most free space first, as Ganeti orders them), then two stripes.
    disk0 = LV.Create((VG, "disk0"), [], 1024, None, {constants.LDP_STRIPES: 1}, False, {})
    disk2 = LV.Create((VG, "disk2"), [], 512, None, {constants.LDP_STRIPES: 2}, False, {})
    info = LV.GetLvGlobalInfo()
    check(info["/dev/xenvg/disk0"], ("-wi-a-----", 253, 1, 4096, 1, [PV0]), "disk0 as Ganeti parses it")
    check(info["/dev/xenvg/disk1"], ("-wi-a-----", 253, 0, 4096, 2, [PV0, PV1]), "disk1")
    # Ganeti lists the PV with more free space first: the stripes follow that order.
    check(info["/dev/xenvg/disk2"], ("-wi-a-----", 253, 2, 4096, 2, [PV1, PV0]), "disk2")
    check(lvs("lv_name", "devices"), [["disk0", PV0 + "(125)"], ["disk1", "%s(0),%s(0)" % (PV0, PV1)],
                                      ["disk2", "%s(125),%s(381)" % (PV1, PV0)]], "allocation")
    free0, free1 = PV_MIB - 4 * (125 + 256 + 64), PV_MIB - 4 * (125 + 64)
    check(pv_info(include_lvs=True), [(PV0, VG, PV_MIB, free0, "a--", ["disk0", "disk1", "disk2"]),
                                      (PV1, VG, PV_MIB, free1, "a--", ["disk1", "disk2"])], "GetPVInfo with LVs")
    check(LV.GetVGInfo([VG], False), [(free0 + free1, 10232.0, VG)], "GetVGInfo after three LVs")
    check(excl_stor_vg_info(), [(0.0, 10232.0, VG)], "no empty PV left for exclusive storage")
    too_big = expect_error("Create too big", LV.Create, (VG, "huge"), [], 20000, None,
                           {constants.LDP_STRIPES: 1}, False, {})
    check(too_big, "Not enough free space: required 20000, available %s" % (free0 + free1), "too big")

    # Two stripes asked while one PV is full: lvcreate -i2 fails as LVM does, Ganeti retries -i1.
    subprocess.run(["lvcreate", "-L%dm" % free1, "-n", "filler", VG, PV1], check=True, capture_output=True)
    disk3 = LV.Create((VG, "disk3"), [], 100, None, {constants.LDP_STRIPES: 2}, False, {})
    check((disk3.stripe_count, disk3.pv_names), (1, [PV0]), "fallback to one stripe")
    denied = subprocess.run(["lvcreate", "-Wn", "-L100m", "-ndenied", "-i2", VG, PV0, PV1],
                            capture_output=True, text=True)
    check((denied.returncode, denied.stderr.strip()), (5, "Insufficient suitable allocatable extents for logical "
                                                          "volume denied: 26 more required"), "lvcreate -i2")
    for name in ("filler", "disk3"):
        open_lv(name).Remove()

    # Attach, size, tags.
    disk0 = open_lv("disk0")
    check((disk0.attached, disk0.major, disk0.minor, disk0.pe_size), (True, 253, 1, 4096), "Attach")
    check(disk0.GetActualSize(), 1024 << 20, "GetActualSize")
    disk0.SetInfo("originstname+instance1.example.com")
    disk0.SetInfo("originstname+instance2.example.com")
    check(lvs("lv_name", "lv_tags")[0], ["disk0", "originstname+instance2.example.com"], "SetInfo replaces the tag")

    # Snapshot (export): a copy of the data at snapshot time, LVM's attributes.
    with open(data_file("disk0"), "r+b") as f:
        f.write(b"before snapshot")
    snap = disk0.Snapshot(snap_size=1024)
    check(snap, (VG, "disk0.snap"), "Snapshot")
    with open(data_file("disk0"), "r+b") as f:
        f.write(b"AFTER")
    with open(data_file("disk0.snap"), "rb") as f:
        check(f.read(15), b"before snapshot", "snapshot data")
    check(os.stat(data_file("disk0.snap")).st_blocks * 512 < (1 << 20), True, "the snapshot stays sparse")
    check(lvs("lv_name", "lv_attr", "origin", "lv_size"),
          [["disk0", "owi-a-s---", "", "1024.00"], ["disk0.snap", "swi-a-s---", "disk0", "1024.00"],
           ["disk1", "-wi-a-----", "", "1000.00"], ["disk2", "-wi-a-----", "", "512.00"]], "snapshot attributes")
    check(open_lv("disk0.snap").GetActualSize(), 1024 << 20, "snapshot size")
    check(LV.GetVGInfo([VG], False)[0][0], free0 + free1 - 1024, "free space after the snapshot")
    refused = expect_error("Grow an active origin", disk0.Grow, 100, False, True, False)
    check("Snapshot origin volumes can be resized only while inactive" in refused, True, refused)
    open_lv("disk0.snap").Remove()

    # Grow: contiguous has no room after disk0 (disk2 follows), cling takes the next free area.
    disk0 = open_lv("disk0")
    disk0.Grow(100, True, True, False)
    check(disk0.GetActualSize(), 1024 << 20, "a dry run changes nothing")
    disk0.Grow(100, False, True, False)
    check(disk0.GetActualSize(), 1124 << 20, "Grow")
    check(lvs("lv_name", "seg_size", "devices")[:2], [["disk0", "1024.00", PV0 + "(125)"],
                                                     ["disk0", "100.00", PV0 + "(445)"]], "grown disk0")
    disk1 = open_lv("disk1")
    disk1.Grow(200, True, True, True)
    disk1.Grow(200, False, True, True)
    check(disk1.GetActualSize(), 1200 << 20, "Grow with exclusive storage")
    check(lvs("lv_name", "stripes", "seg_size", "devices")[2:4],
          [["disk1", "2", "1000.00", "%s(0),%s(0)" % (PV0, PV1)], ["disk1", "2", "200.00", "%s(470),%s(189)" % (PV0, PV1)]],
          "grown disk1")
    disk2 = open_lv("disk2", {constants.LDP_STRIPES: 2})
    disk2.Rename((VG, "disk2.renamed"))
    check((disk2.dev_path, open_lv("disk2.renamed").attached, open_lv("disk2").attached),
          ("/dev/xenvg/disk2.renamed", True, False), "Rename")

    # Node queries.
    with open(data_file("disk1"), "rb"):
        volumes = backend.GetVolumeList([VG])
    check(volumes, {"xenvg/disk0": ("1124.00", False, False), "xenvg/disk1": ("1200.00", False, True),
                    "xenvg/disk2.renamed": ("512.00", False, False)}, "GetVolumeList (disk1 open)")
    node_volumes = sorted((v["name"], v["size"], v["dev"], v["vg"]) for v in backend.NodeVolumes())
    # One line per segment, each device of a striped segment apart.
    check(node_volumes, [("disk0", "1124.00", PV0, VG)] * 2 + [("disk1", "1200.00", PV0, VG)] * 2 +
          [("disk1", "1200.00", PV1, VG)] * 2 + [("disk2.renamed", "512.00", PV0, VG),
                                                ("disk2.renamed", "512.00", PV1, VG)], "NodeVolumes")

    # Storage units (gnt-node list-storage / modify-storage / repair-storage).
    fields = [constants.SF_NAME, constants.SF_SIZE, constants.SF_USED, constants.SF_FREE, constants.SF_ALLOCATABLE]
    pvs = container.LvmPvStorage()
    used0, used1 = 4 * (256 + 25 + 125 + 25 + 64), 4 * (125 + 25 + 64)
    check(pvs.List(None, fields), [[PV0, PV_MIB, used0, PV_MIB - used0, True], [PV1, PV_MIB, used1, PV_MIB - used1, True]],
          "LvmPvStorage.List")
    pvs.Modify(PV1, {constants.SF_ALLOCATABLE: False})
    check(pvs.List(PV1, fields), [[PV1, PV_MIB, used1, PV_MIB - used1, False]], "PV made unallocatable")
    check([p[0] for p in pv_info()], [PV0], "GetPVInfo skips the unallocatable PV")
    check([p[0] for p in pv_info(filter_allocatable=False)], [PV0, PV1], "unless asked")
    linear = LV.Create((VG, "disk4"), [], 8, None, {constants.LDP_STRIPES: 2}, False, {})
    check((linear.stripe_count, linear.pv_names), (1, [PV0]), "no extents from an unallocatable PV")
    linear.Remove()
    pvs.Modify(PV1, {constants.SF_ALLOCATABLE: True})
    check(pvs.List(PV1, fields)[0][4], True, "PV allocatable again")
    vgs = container.LvmVgStorage()
    vg_fields = [constants.SF_NAME, constants.SF_SIZE, constants.SF_FREE, constants.SF_USED, constants.SF_ALLOCATABLE]
    free = 10232.0 - used0 - used1
    check(vgs.List(VG, vg_fields), [[VG, 10232.0, free, used0 + used1, True]], "LvmVgStorage.List")
    vgs.Execute(VG, constants.SO_FIX_CONSISTENCY)  # vgreduce --removemissing [--force], then vgs

    summary.update(vgs=utils.ListVolumeGroups(), vg_info=LV.GetVGInfo([VG], False), volumes=volumes,
                   pvs=pvs.List(None, fields), node_volumes=len(node_volumes))

    for name in ("disk0", "disk1", "disk2.renamed"):
        open_lv(name).Remove()
    check(LV.GetVGInfo([VG], False), [(10232.0, 10232.0, VG)], "all space back after Remove")
    check(sorted(os.listdir(os.path.join(ROOT, "lvm", "dev", VG))), [], "no data file left")
    summary["free_after_remove"] = LV.GetVGInfo([VG], False)[0][0]


if __name__ == "__main__":
    (lvm_off if sys.argv[1:] == ["off"] else lvm_on)()
    print(json.dumps(summary, sort_keys=True))
