output "groups" {
  description = "Map workload => {name, instance_type, instance_count, gpus} of this region's managed instance groups."
  value = {
    for k, g in google_compute_region_instance_group_manager.gpu : k => {
      name           = g.name
      instance_type  = var.pools[k].instance_type
      instance_count = var.pools[k].instance_count
      gpus           = var.pools[k].gpus
    }
  }
}

output "instance_template_ids" {
  description = "Map workload => instance template id."
  value       = { for k, t in google_compute_instance_template.gpu : k => t.id }
}
