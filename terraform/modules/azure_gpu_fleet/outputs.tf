output "groups" {
  description = "Map workload => {name, instance_type, instance_count, gpus} of this region's VM scale sets."
  value = {
    for k, s in azurerm_linux_virtual_machine_scale_set.gpu : k => {
      name           = s.name
      instance_type  = var.pools[k].instance_type
      instance_count = var.pools[k].instance_count
      gpus           = var.pools[k].gpus
    }
  }
}

output "resource_group_name" {
  description = "Resource group holding this region's fleet."
  value       = local.rg_name
}
