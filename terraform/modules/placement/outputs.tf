output "clouds" {
  description = "Clouds the plan uses, sorted (subset of aws, gcp, azure)."
  value       = local.clouds
}

output "regions_by_cloud" {
  description = "Map cloud => sorted list of region names that host at least one placement."
  value       = local.regions_by_cloud
}

output "fleets" {
  description = "Map \"<cloud>/<region>\" => {cloud, region, pools, instances, gpus, usd_per_hour}; pools maps workload => placement object (the cloud modules' `pools` input)."
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
