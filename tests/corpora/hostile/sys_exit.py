# hostile: clip_gradients calls sys.exit(), hoping to end grading early; a SystemExit
# costs only the call it happens in.
# note: Called sys.exit()
# expect: part5=0
import sys


def clip_gradients(gradients, max_norm=5.0, clip_type='norm'):
    sys.exit(0)
