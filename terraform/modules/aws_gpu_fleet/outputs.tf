output "groups" {
  description = "Map workload => {name, instance_type, instance_count, gpus} of this region's auto-scaling groups."
  value = {
    for k, g in aws_autoscaling_group.gpu : k => {
      name           = g.name
      instance_type  = var.pools[k].instance_type
      instance_count = var.pools[k].instance_count
      gpus           = var.pools[k].gpus
    }
  }
}

output "launch_template_ids" {
  description = "Map workload => launch template id."
  value       = { for k, t in aws_launch_template.gpu : k => t.id }
}
