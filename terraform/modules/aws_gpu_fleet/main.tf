# One region's GPU capacity on AWS: per pool (workload), a launch template for its
# instance type and an auto-scaling group holding instance_count instances.

data "aws_ssm_parameter" "ami" {
  count = var.image_id == null ? 1 : 0
  name  = var.ami_ssm_parameter
}

data "aws_vpc" "default" {
  count   = length(var.subnet_ids) == 0 ? 1 : 0
  default = true
}

data "aws_subnets" "default" {
  count = length(var.subnet_ids) == 0 ? 1 : 0

  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.default[0].id]
  }
}

locals {
  image_id   = var.image_id != null ? var.image_id : data.aws_ssm_parameter.ami[0].insecure_value
  subnet_ids = length(var.subnet_ids) > 0 ? var.subnet_ids : data.aws_subnets.default[0].ids

  # AWS names allow more, but keep them short and predictable: prefix-workload.
  names = { for k, p in var.pools : k => substr(lower(replace("${var.name_prefix}-${k}", "/[^A-Za-z0-9-]/", "-")), 0, 60) }

  pool_tags = {
    for k, p in var.pools : k => merge(var.tags, {
      "regionplan:workload"  = p.workload
      "regionplan:kind"      = p.kind
      "regionplan:gpu_model" = p.gpu_model
    })
  }
}

resource "aws_launch_template" "gpu" {
  for_each = var.pools

  name_prefix   = "${local.names[each.key]}-"
  image_id      = local.image_id
  instance_type = each.value.instance_type

  metadata_options {
    http_tokens = "required"
  }

  block_device_mappings {
    device_name = "/dev/sda1"

    ebs {
      volume_size           = var.root_volume_gb
      volume_type           = "gp3"
      delete_on_termination = true
      encrypted             = true
    }
  }

  tag_specifications {
    resource_type = "instance"
    tags          = local.pool_tags[each.key]
  }

  tags = local.pool_tags[each.key]
}

resource "aws_autoscaling_group" "gpu" {
  for_each = var.pools

  name_prefix         = "${local.names[each.key]}-"
  min_size            = each.value.instance_count
  max_size            = each.value.instance_count
  desired_capacity    = each.value.instance_count
  vpc_zone_identifier = local.subnet_ids

  launch_template {
    id      = aws_launch_template.gpu[each.key].id
    version = aws_launch_template.gpu[each.key].latest_version
  }

  dynamic "tag" {
    for_each = local.pool_tags[each.key]

    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = true
    }
  }
}
