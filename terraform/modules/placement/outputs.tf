output "clouds" {
  description = "Clouds the plan uses, sorted (subset of aws, gcp, azure)."
  value       = local.clouds
}

output "regions_by_cloud" {
  description = "Map cloud => sorted list of region names that host at least one placement."
  value       = local.regions_by_cloud
}

output "fleets" {
  description = "Map \"<cloud>/<region>\" => {cloud, region, pools, instances, gpus, usd_per_hour}; pools maps the placement key after \"<cloud>/<region>/\" (the workload, or workload/purchase/instance type when it is bought two ways there) => placement object (the cloud modules' `pools` input)."
  value       = local.fleets
}

output "fleets_by_cloud" {
  description = "Map cloud => region => the same fleet objects as `fleets`."
  value       = local.fleets_by_cloud
}

output "gpus_by_cloud" {
  description = "Map cloud => provisioned GPUs (sum of instance_count * gpus_per_instance)."
  value       = local.gpus_by_cloud
}

output "gpus_by_model" {
  description = "Map GPU model => provisioned GPUs across all clouds and regions."
  value       = local.gpus_by_model
}

output "total_gpus" {
  description = "Provisioned GPUs across the whole plan."
  value       = sum(concat([0], [for p in values(var.placements) : p.gpus]))
}

output "total_instances" {
  description = "Instances across the whole plan."
  value       = sum(concat([0], [for p in values(var.placements) : p.instance_count]))
}

output "plan" {
  description = "The plan metadata (var.regionplan) echoed for downstream roots."
  value       = var.regionplan
}

output "deployed_cost_by_placement" {
  description = "Map placement key => deployed cost in USD over the plan horizon, recomputed here from its scaling schedule: (sum of steps' hours x instances + recurrences' hours_in_horizon x instances) x usd_per_instance_hour."
  value       = local.deployed_cost_by_placement
}

output "deployed_cost_usd" {
  description = "Deployed cost of the whole plan in USD over the plan horizon (sum of deployed_cost_by_placement); equals the plan's compute cost when its schedules are deployed unsmoothed."
  value       = sum(concat([0], values(local.deployed_cost_by_placement)))
}

output "scaling_actions_by_placement" {
  description = "Map placement key => number of scheduled scaling actions (dated steps or recurrences)."
  value       = { for k, p in var.placements : k => length(p.steps) + length(p.recurrences) }
}
