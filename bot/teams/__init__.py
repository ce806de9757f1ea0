"""The Microsoft Teams edge: botbuilder's CloudAdapter, Adaptive Cards, and the Teams messenger.

The only package that imports botbuilder (archived upstream); see README, "Microsoft Teams".
"""
