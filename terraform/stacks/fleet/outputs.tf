output "regions_by_cloud" {
  description = "Map cloud => regions the plan uses."
  value       = module.placement.regions_by_cloud
}

output "gpus_by_cloud" {
  description = "Map cloud => provisioned GPUs."
  value       = module.placement.gpus_by_cloud
}

output "total_gpus" {
  description = "Provisioned GPUs across the plan."
  value       = module.placement.total_gpus
}

# fleet_groups ("<cloud>/<region>" => groups) is declared in the generated fleet.tf.json.

output "deployed_cost_usd" {
  description = "Deployed cost of the plan in USD over its horizon, recomputed from the scaling schedules x instance prices (the placement module's figure)."
  value       = module.placement.deployed_cost_usd
}
