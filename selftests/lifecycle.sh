#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Unbind, rebind and module unload leave nothing behind. TAP output.
# Runs last: it unloads and reloads the module under the other tests.

n=0 fails=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $1"; }
check() { desc=$1; shift; if "$@"; then ok "$desc"; else not_ok "$desc"; fi; }

drv=/sys/bus/pci/drivers/dmabuf-vfio-pci
devs=
for d in /sys/bus/pci/devices/*; do
	case "$(cat "$d/vendor"):$(cat "$d/device")" in
	0x1234:0x11e8|0x1af4:0x1110|0x1b36:0x0010|0x1b36:0x0005|0x8086:0x10d3) devs="$devs ${d##*/}" ;;
	esac
done

bound() { [ "$(basename "$(readlink "/sys/bus/pci/devices/$1/driver")")" = dmabuf-vfio-pci ]; }
unbound() { [ ! -e "/sys/bus/pci/devices/$1/driver" ]; }
group_of() { basename "$(readlink "/sys/bus/pci/devices/$1/iommu_group")"; }
no_group_node() { [ ! -e "/dev/vfio/$(group_of "$1")" ]; }
has_group_node() { [ -c "/dev/vfio/$(group_of "$1")" ]; }
all() { f=$1; shift; for x in $devs; do "$f" "$x" || return 1; done; }
rebind() {
	for x in $devs; do
		echo dmabuf-vfio-pci >"/sys/bus/pci/devices/$x/driver_override"
		echo "$x" >/sys/bus/pci/drivers_probe
	done
}

echo "TAP version 13"
echo "1..9"
check "all seven test devices present" [ "$(echo $devs | wc -w)" = 7 ]
for x in $devs; do echo "$x" >"$drv/unbind"; done
check "unbind leaves no driver" all unbound
check "unbind removes /dev/vfio group nodes" all no_group_node
rebind
check "rebind through drivers_probe" all bound
check "rebind recreates group nodes" all has_group_node
check "rmmod with devices bound" rmmod dmabuf_vfio_pci
check "rmmod leaves no module, driver or device" \
	sh -c "[ ! -e /sys/module/dmabuf_vfio_pci ] && [ ! -e $drv ] && \
	       $(for x in $devs; do printf '[ ! -e /sys/bus/pci/devices/%s/driver ] && ' "$x"; done) true"
check "module loads again" insmod "$DVP_MODULE"
rebind
check "devices bind again" all bound
[ "$fails" = 0 ]
