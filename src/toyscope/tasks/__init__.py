"""toyscope.tasks"""
