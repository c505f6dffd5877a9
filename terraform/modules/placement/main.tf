# Reshapes the generated placements into the per-cloud, per-region maps the cloud
# modules (aws_gpu_fleet, gcp_gpu_fleet, azure_gpu_fleet) take as their `pools`.

locals {
  # Instance-hours of each placement's deployed schedule over the horizon, recomputed from
  # the steps and recurrences rather than read from the placement's own figure.
  deployed_cost_by_placement = {
    for k, p in var.placements : k => p.usd_per_instance_hour * sum(concat([0],
      [for s in p.steps : s.hours * s.instances],
      [for r in p.recurrences : r.hours_in_horizon * r.instances],
    ))
  }

  clouds = sort(distinct([for p in values(var.placements) : p.cloud]))

  # "<cloud>/<region>" of every region that hosts at least one placement.
  fleet_keys = sort(distinct([for p in values(var.placements) : "${p.cloud}/${p.region}"]))

  fleets = {
    for fk in local.fleet_keys : fk => {
      cloud  = split("/", fk)[0]
      region = split("/", fk)[1]
      # Keyed by the placement key after "<cloud>/<region>/": the workload, or
      # "<workload>/<purchase>/<instance_type>" when a workload is bought two ways in one
      # region (validated in variables.tf), so pool keys are unique within a region.
      pools = {
        for k, p in var.placements : substr(k, length(fk) + 1, -1) => p
        if "${p.cloud}/${p.region}" == fk
      }
      instances = sum(concat([0], [
        for p in values(var.placements) : p.instance_count if "${p.cloud}/${p.region}" == fk
      ]))
      gpus = sum(concat([0], [
        for p in values(var.placements) : p.gpus if "${p.cloud}/${p.region}" == fk
      ]))
      usd_per_hour = sum(concat([0], [
        for p in values(var.placements) : p.usd_per_hour if "${p.cloud}/${p.region}" == fk
      ]))
    }
  }

  fleets_by_cloud = {
    for c in local.clouds : c => {
      for fk, f in local.fleets : f.region => f if f.cloud == c
    }
  }

  regions_by_cloud = {
    for c in local.clouds : c => sort([for f in values(local.fleets) : f.region if f.cloud == c])
  }

  gpus_by_cloud = {
    for c in local.clouds : c => sum(concat([0], [
      for p in values(var.placements) : p.gpus if p.cloud == c
    ]))
  }

  gpus_by_model = {
    for m in sort(distinct([for p in values(var.placements) : p.gpu_model])) : m => sum(concat([0], [
      for p in values(var.placements) : p.gpus if p.gpu_model == m
    ]))
  }
}
