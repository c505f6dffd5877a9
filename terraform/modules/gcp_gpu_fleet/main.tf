# One region's GPU capacity on GCP: per pool (workload), an instance template (SPOT
# provisioning model for spot pools), a regional managed instance group, and an
# autoscaler whose scaling schedules follow the pool's schedule (schedule.tf).
#
# A2/A3/G2 machine types come with their GPUs; N1 types get them attached as
# guest accelerators (T4, V100), gpus_per_instance of them.

locals {
  n1_accelerators = {
    "T4"        = "nvidia-tesla-t4"
    "V100"      = "nvidia-tesla-v100"
    "V100-32GB" = "nvidia-tesla-v100"
  }

  # GCP names: ^[a-z]([-a-z0-9]*[a-z0-9])?$, at most 63 characters. The sha1 suffix keeps
  # names distinct when two workload names differ only in characters mapped to "-".
  names = {
    for k, p in var.pools : k => format("%s-%s",
      trimsuffix(substr(replace(lower("${var.name_prefix}-${k}"), "/[^a-z0-9-]/", "-"), 0, 28), "-"),
      substr(sha1(k), 0, 8)
    )
  }

  pool_labels = {
    for k, p in var.pools : k => merge(var.labels, {
      regionplan-workload = substr(replace(lower(p.workload), "/[^a-z0-9_-]/", "-"), 0, 63)
      regionplan-kind     = p.kind
      regionplan-gpu      = replace(lower(p.gpu_model), "/[^a-z0-9_-]/", "-")
    })
  }
}

resource "google_compute_instance_template" "gpu" {
  for_each = var.pools

  project      = var.project_id
  region       = var.region
  name_prefix  = "${local.names[each.key]}-"
  machine_type = each.value.instance_type
  labels       = local.pool_labels[each.key]

  # Only instance-level SSH keys (or OS Login), never the project's.
  metadata = {
    block-project-ssh-keys = true
  }

  disk {
    source_image = var.source_image
    boot         = true
    auto_delete  = true
    disk_size_gb = var.boot_disk_gb
  }

  network_interface {
    network    = var.network
    subnetwork = var.subnetwork
  }

  dynamic "guest_accelerator" {
    for_each = can(regex("^n1-", each.value.instance_type)) ? [1] : []

    content {
      type  = local.n1_accelerators[each.value.gpu_model]
      count = each.value.gpus_per_instance
    }
  }

  # GPU instances cannot live-migrate. Spot: preemptible, no automatic restart.
  scheduling {
    on_host_maintenance         = "TERMINATE"
    automatic_restart           = !local.spot[each.key]
    preemptible                 = local.spot[each.key]
    provisioning_model          = local.spot[each.key] ? "SPOT" : "STANDARD"
    instance_termination_action = local.spot[each.key] ? "DELETE" : null
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "google_compute_region_instance_group_manager" "gpu" {
  for_each = var.pools

  project            = var.project_id
  region             = var.region
  name               = local.names[each.key]
  base_instance_name = local.names[each.key]
  target_size        = local.initial_instances[each.key]

  version {
    instance_template = google_compute_instance_template.gpu[each.key].id
  }

  # The autoscaler sets the size from the scaling schedules.
  lifecycle {
    ignore_changes = [target_size]
  }
}

resource "google_compute_region_autoscaler" "gpu" {
  for_each = var.pools

  project = var.project_id
  region  = var.region
  name    = local.names[each.key]
  target  = google_compute_region_instance_group_manager.gpu[each.key].id

  autoscaling_policy {
    min_replicas    = 0
    max_replicas    = max(1, each.value.instance_count)
    cooldown_period = 60
    mode            = "ON"

    # Schedules alone size the group: a 100 % CPU target never adds instances on load.
    cpu_utilization {
      target = 1
    }

    dynamic "scaling_schedules" {
      for_each = local.scaling_schedules[each.key]

      content {
        name                  = scaling_schedules.value.name
        min_required_replicas = scaling_schedules.value.instances
        schedule              = scaling_schedules.value.schedule
        time_zone             = "Etc/UTC"
        duration_sec          = scaling_schedules.value.duration_sec
        description           = scaling_schedules.value.description
      }
    }
  }
}
