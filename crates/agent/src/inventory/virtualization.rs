//! Whether the machine is a virtual machine, a container, a hypervisor or an
//! Unraid server, decided from evidence the collector gathers.

use gururmm_protocol::inventory::{optional_field, ContainerKind, Virtualization};

/// What the collector read; each piece is optional because each source may
/// be missing (no systemd, no DMI on ARM boards, no permission).
#[derive(Clone, Debug, Default)]
pub struct VirtualizationEvidence<'a> {
    /// `/sys/class/dmi/id/sys_vendor`.
    pub dmi_sys_vendor: Option<&'a str>,
    /// `/sys/class/dmi/id/product_name`.
    pub dmi_product_name: Option<&'a str>,
    /// `/sys/class/dmi/id/product_uuid` (root only).
    pub dmi_product_uuid: Option<&'a str>,
    /// The `hypervisor` flag of `/proc/cpuinfo`.
    pub cpu_hypervisor_flag: bool,
    /// Output of `systemd-detect-virt` (`kvm`, `docker`, `none`), where present.
    pub systemd_detect_virt: Option<&'a str>,
    /// `/.dockerenv` exists.
    pub dockerenv_exists: bool,
    /// `/run/.containerenv` exists (Podman).
    pub containerenv_exists: bool,
    /// `/proc/1/cgroup`.
    pub proc1_cgroup: Option<&'a str>,
    /// `/etc/unraid-version` exists.
    pub unraid_version_exists: bool,
    /// UUIDs of libvirt domains (`virsh list --all --uuid`), where libvirt runs.
    pub libvirt_guest_uuids: Option<&'a str>,
}

/// systemd-detect-virt's names for containers; anything else it prints
/// (other than `none`) is a hypervisor.
const DETECT_VIRT_CONTAINERS: [(&str, ContainerKind); 9] = [
    ("docker", ContainerKind::Docker),
    ("podman", ContainerKind::Podman),
    ("lxc", ContainerKind::Lxc),
    ("lxc-libvirt", ContainerKind::Lxc),
    ("systemd-nspawn", ContainerKind::SystemdNspawn),
    ("wsl", ContainerKind::Wsl),
    ("openvz", ContainerKind::Other),
    ("rkt", ContainerKind::Other),
    ("proot", ContainerKind::Other),
];

/// Decides from the evidence. systemd-detect-virt is trusted first where it
/// ran, since it checks more than this function can; then container markers
/// (`/.dockerenv`, `/run/.containerenv`, cgroup paths naming a runtime), then
/// DMI vendor and product strings, then the CPU flag (a VM of unknown kind).
/// A container inside a VM is reported as a container: the VM's DMI strings
/// are visible from inside it, so the VM is reported too.
pub fn detect_virtualization(evidence: &VirtualizationEvidence<'_>) -> Virtualization {
    let detect_virt = evidence
        .systemd_detect_virt
        .map(str::trim)
        .filter(|answer| !answer.is_empty() && *answer != "none");
    let detect_virt_container = detect_virt.and_then(|answer| {
        DETECT_VIRT_CONTAINERS
            .iter()
            .find(|(name, _)| *name == answer)
            .map(|(_, kind)| *kind)
    });
    let container_kind = detect_virt_container
        .or_else(|| evidence.dockerenv_exists.then_some(ContainerKind::Docker))
        .or_else(|| {
            evidence
                .containerenv_exists
                .then_some(ContainerKind::Podman)
        })
        .or_else(|| evidence.proc1_cgroup.and_then(container_from_cgroup));

    let dmi_hypervisor = hypervisor_from_dmi(
        evidence.dmi_sys_vendor.unwrap_or(""),
        evidence.dmi_product_name.unwrap_or(""),
    );
    let hypervisor = detect_virt
        .filter(|_| detect_virt_container.is_none())
        .map(str::to_owned)
        .or_else(|| dmi_hypervisor.map(str::to_owned));
    let is_vm = hypervisor.is_some() || evidence.cpu_hypervisor_flag;

    let guest_uuids: Vec<String> = evidence
        .libvirt_guest_uuids
        .unwrap_or("")
        .lines()
        .filter_map(optional_field)
        .collect();
    Virtualization {
        is_vm,
        hypervisor,
        vm_uuid: evidence
            .dmi_product_uuid
            .and_then(optional_field)
            .filter(|_| is_vm)
            .map(|uuid| uuid.to_ascii_lowercase()),
        is_container: container_kind.is_some(),
        container_kind,
        is_hypervisor: !guest_uuids.is_empty(),
        guest_uuids,
        unraid: evidence.unraid_version_exists,
    }
}

/// A container runtime named in PID 1's cgroup paths (cgroup v1, or v2 under
/// some runtimes; a private cgroup namespace shows only `/` and says nothing).
fn container_from_cgroup(cgroup: &str) -> Option<ContainerKind> {
    let paths = cgroup.lines().filter_map(|line| line.rsplit(':').next());
    for path in paths {
        if path.contains("kubepods") {
            return Some(ContainerKind::Kubernetes);
        }
        if path.contains("/docker") || path.contains("docker-") {
            return Some(ContainerKind::Docker);
        }
        if path.contains("libpod") {
            return Some(ContainerKind::Podman);
        }
        if path.contains("/lxc") || path.contains("lxc.payload") {
            return Some(ContainerKind::Lxc);
        }
    }
    None
}

/// The hypervisor, in systemd-detect-virt's names, from DMI strings.
fn hypervisor_from_dmi(vendor: &str, product: &str) -> Option<&'static str> {
    let vendor = vendor.trim();
    let product = product.trim();
    let table: [(bool, &'static str); 10] = [
        (product == "KVM" || product.starts_with("KVM "), "kvm"),
        (vendor == "QEMU", "qemu"),
        (
            vendor.starts_with("VMware") || product.starts_with("VMware"),
            "vmware",
        ),
        (
            vendor == "Microsoft Corporation" && product == "Virtual Machine",
            "microsoft",
        ),
        (
            vendor == "innotek GmbH" || product == "VirtualBox",
            "oracle",
        ),
        (vendor == "Xen" || product.starts_with("HVM domU"), "xen"),
        (vendor == "Amazon EC2", "amazon"),
        (product == "Google Compute Engine", "google"),
        (vendor.starts_with("Parallels"), "parallels"),
        (vendor == "BHYVE", "bhyve"),
    ];
    table
        .into_iter()
        .find(|(matches, _)| *matches)
        .map(|(_, name)| name)
}
