# broken: a Python file that does not parse (an unclosed bracket), so nothing in it can run.
# note: No definitions were found
# expect: total=0
def clip_gradients(gradients, max_norm=5.0, clip_type='norm':
    return gradients, {}
